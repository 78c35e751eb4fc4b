"""Issues 10 and 15: progress writes on the dev platform, idle connections, and kills.

Each contender runs as a server subprocess on loopback (``PlatformServer``, the dev
platform's server class: bounded handler threads, connection timeout):

* ``dev platform``: ``brevetti-job serve`` on a fresh store (its object store: one
  SeaweedFS gateway started by the benchmark, given as ``--s3-endpoint``, so that the
  kill-and-restart rounds do not restart it too); each write is a
  ``POST /api/models/<id>/remotemonitor`` with an ``Idempotency-Key``, stored in SQLite
  in one transaction with its idempotency record;
* ``bare werkzeug``: the same server class running a WSGI app that reads the body and
  answers 204, the reference for what the HTTP layer alone costs.

Measured:

1. CPU per write over 10,000 sequential writes on one keep-alive connection: the
   server's CPU time (user + system, all threads, from ``/proc/<pid>/stat``) per block
   of 1,000 writes; the last block against the first shows whether a write's cost grows
   with the job's history (the old JSON store rewrote the whole log each time).
2. Throughput: writes per second with 4 client threads on keep-alive connections,
   alternating contenders over several rounds; the dev platform against bare werkzeug.
3. The same with 50 idle connections held open to the server.
4. Kills: the dev platform is SIGKILLed repeatedly while 4 clients write (each write
   retried with its key until answered); afterwards every write must be stored exactly
   once.

    python -m benchmarks.devserver_progress [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from ._common import ROOT, Table, load, median, spread

TOKEN = "benchmark-admin-token"
TICK = os.sysconf("SC_CLK_TCK")
BLOCK = 1_000


# -- the bare baseline server (a child process) ------------------------------------------------


def _serve_bare(port: int) -> None:
    """A bare werkzeug app (Request in, Response out: reads the body, answers 204) on the
    dev platform's server class and request handler (the same access log line)."""
    from werkzeug.wrappers import Request, Response

    from brevetti_job.devserver._serve import DEFAULT_CONNECTION_TIMEOUT, PlatformServer, _Handler

    @Request.application  # type: ignore[arg-type]
    def app(request: Request) -> Response:
        request.get_data()
        return Response(status=204)

    handler = type("_Handler", (_Handler,), {"timeout": DEFAULT_CONNECTION_TIMEOUT})
    server = PlatformServer("127.0.0.1", port, app, handler=handler)
    print(f"bare werkzeug on http://127.0.0.1:{port}", flush=True)
    server.serve_forever()


# -- the parent: servers, clients ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """A server subprocess (the dev platform or the bare baseline), ready once it printed."""

    def __init__(self, kind: str, root: Path, port: int | None = None, store: Any = None) -> None:
        self.kind = kind
        self.root = root
        self.store = store  # an ObjectStore the dev platform uses (--s3-endpoint)
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[str] | None = None
        self.start()

    def start(self) -> None:
        env = dict(os.environ)
        if self.kind == "dev":
            command = [
                sys.executable, "-m", "brevetti_job", "serve", "--root", str(self.root),
                "--port", str(self.port),
            ]  # fmt: skip
            env["BREVETTI_ADMIN_TOKEN"] = TOKEN
            if self.store is not None:
                command += ["--s3-endpoint", self.store.endpoint]
                env["AWS_ACCESS_KEY_ID"] = self.store.access_key
                env["AWS_SECRET_ACCESS_KEY"] = self.store.secret_key
        else:
            command = [
                sys.executable, "-m", "benchmarks.devserver_progress", "--bare-port",
                str(self.port),
            ]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
            env=env,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # the readiness handshake: its address
        if self.url not in line:
            self.kill()
            raise RuntimeError(f"the {self.kind} server did not start: {line!r}")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (all its threads)."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def create_job(self) -> tuple[str, str]:
        if self.kind != "dev":
            return "bare", "bare-key"
        body = json.dumps({"kind": "model", "name": "progress benchmark"})
        answer = _request(self.url, "POST", "/api/admin/jobs", body.encode(), TOKEN)
        if answer[0] != 201:
            raise RuntimeError(f"creating a job failed: {answer}")
        data = json.loads(answer[1])
        return str(data["id"]), str(data["api_key"])

    def kill(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait(30)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(30)
        self.kill()


def _request(url: str, method: str, path: str, body: bytes, token: str) -> tuple[int, bytes]:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request(
            method, path, body,
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )  # fmt: skip
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


class Writer:
    """One keep-alive connection sending progress writes, each with its own key."""

    def __init__(self, server: Server, job: tuple[str, str], name: str) -> None:
        self.server = server
        self.job_id, self.key = job
        self.name = name
        self.connection: http.client.HTTPConnection | None = None

    def write(self, epoch: int) -> int:
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        body = json.dumps({"epoch": epoch, "writer": self.name, "loss": 1.0 / (abs(epoch) + 1)})
        self.connection.request(
            "POST",
            f"/api/models/{self.job_id}/remotemonitor",
            body.encode(),
            {
                "Authorization": f"Bearer {self.key}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"{self.name}-{epoch}",
            },
        )
        answer = self.connection.getresponse()
        answer.read()
        return answer.status

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def cpu_per_block(server: Server, writes: int) -> list[float]:
    """Server CPU seconds per write, for each block of `BLOCK` sequential writes."""
    writer = Writer(server, server.create_job(), "seq")
    blocks = []
    try:
        for block in range(writes // BLOCK):
            before = server.cpu_seconds()
            for epoch in range(block * BLOCK, (block + 1) * BLOCK):
                if writer.write(epoch) != 204:
                    raise RuntimeError("a progress write was refused")
            blocks.append((server.cpu_seconds() - before) / BLOCK)
    finally:
        writer.close()
    return blocks


def throughput(server: Server, writes: int, clients: int = 4) -> float:
    """Writes per second with `clients` threads, each on its own keep-alive connection."""
    job = server.create_job()
    writers = [Writer(server, job, f"w{n}-{time.monotonic_ns()}") for n in range(clients)]
    for writer in writers:
        writer.write(-1)  # connect before the clock starts
    failures: list[int] = []

    def send(writer: Writer) -> None:
        for epoch in range(writes // clients):
            status = writer.write(epoch)
            if status != 204:
                failures.append(status)

    threads = [threading.Thread(target=send, args=(w,)) for w in writers]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    for writer in writers:
        writer.close()
    if failures:
        raise RuntimeError(f"writes refused: {Counter(failures)}")
    return (writes // clients) * clients / seconds


def hold_idle(server: Server, count: int) -> list[socket.socket]:
    """`count` connections opened and left idle (each holds one handler thread)."""
    return [socket.create_connection(("127.0.0.1", server.port), timeout=30) for _ in range(count)]


def kills(root: Path, clients: int, writes: int, kill_count: int, store: Any) -> dict[str, int]:
    """SIGKILL the dev platform `kill_count` times during the writes; count what is stored."""
    server = Server("dev", root, store=store)
    job = server.create_job()
    done = 0
    condition = threading.Condition()

    def client(number: int) -> None:
        nonlocal done
        writer = Writer(server, job, f"k{number}")
        for epoch in range(writes):
            while True:
                try:
                    status = writer.write(epoch)
                except (OSError, http.client.HTTPException):
                    writer.close()
                    time.sleep(0.02)  # retry interval while the server restarts
                    continue
                if status >= 500:
                    continue
                break
            with condition:
                done += 1
                condition.notify_all()
        writer.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    step = clients * writes // (kill_count + 1)
    for kill in range(kill_count):
        with condition:
            condition.wait_for(lambda k=kill: done >= (k + 1) * step, timeout=600)
        server.kill()
        server.start()
    for thread in threads:
        thread.join(600)
    status, body = _request(server.url, "GET", f"/api/admin/jobs/{job[0]}", b"", TOKEN)
    server.stop()
    if status != 200:
        raise RuntimeError(f"reading the job failed: {status}")
    progress = Counter((r["writer"], r["epoch"]) for r in json.loads(body)["progress"])
    expected = {(f"k{n}", e) for n in range(clients) for e in range(writes)}
    leftovers = [p for p in root.rglob("*") if p.suffix in (".tmp", ".part")]
    return {
        "kills": kill_count,
        "writes": clients * writes,
        "stored": sum(progress.values()),
        "duplicates": sum(n - 1 for n in progress.values() if n > 1),
        "lost": len(expected - set(progress)),
        "temp files left": len(leftovers),
    }


def run(quick: bool) -> list[Table]:
    """The progress tables: CPU per write, throughput (with idle connections), kills."""
    writes, rounds, rate_writes = (2_000, 1, 400) if quick else (10_000, 5, 4_000)
    kill_clients, kill_writes, kill_count = (2, 20, 2) if quick else (4, 250, 10)
    from brevetti_job.devserver._objectstore import SeaweedStore

    with tempfile.TemporaryDirectory(prefix="brevetti-progress-bench-") as folder:
        work = Path(folder)
        seaweed = SeaweedStore(work / "objectstore", iam=True).start()  # one for every restart
        dev = Server("dev", work / "store", store=seaweed.store)
        bare = Server("bare", work / "bare")
        try:
            blocks = {"dev": cpu_per_block(dev, writes), "bare": cpu_per_block(bare, writes)}
            rates: dict[str, list[float]] = {"dev": [], "bare": []}
            idle_rates: dict[str, list[float]] = {"dev": [], "bare": []}
            for index in range(rounds):
                order = ("dev", "bare") if index % 2 == 0 else ("bare", "dev")
                for name in order:
                    rates[name].append(throughput(dev if name == "dev" else bare, rate_writes))
            idle = {name: hold_idle(s, 50) for name, s in (("dev", dev), ("bare", bare))}
            try:
                for index in range(rounds):
                    order = ("dev", "bare") if index % 2 == 0 else ("bare", "dev")
                    for name in order:
                        server = dev if name == "dev" else bare
                        idle_rates[name].append(throughput(server, rate_writes))
            finally:
                for sockets in idle.values():
                    for sock in sockets:
                        sock.close()
        finally:
            dev.stop()
            bare.stop()
        try:
            crash = kills(work / "kills", kill_clients, kill_writes, kill_count, seaweed.store)
        finally:
            seaweed.stop()

    cpu = Table(
        f"Progress writes: server CPU per write over {writes:,} writes",
        ["server", "first 1,000 µs/write", "last 1,000 µs/write", "last vs first",
         "mean µs/write"],
    )  # fmt: skip
    for name, label in (("dev", "dev platform (SQLite)"), ("bare", "bare werkzeug")):
        first, last = blocks[name][0], blocks[name][-1]
        mean = sum(blocks[name]) / len(blocks[name])
        cpu.add(label, f"{first * 1e6:,.0f}", f"{last * 1e6:,.0f}", f"{last / first:.2f}x",
                f"{mean * 1e6:,.0f}")  # fmt: skip
    cpu.notes += [
        "One client, one keep-alive connection, sequential writes with an Idempotency-Key "
        "each; CPU = the server process's user + system time (all threads, /proc/<pid>/stat, "
        f"{1000 // TICK} ms ticks).",
        "Target (issue 10): the last 1,000 writes within 1.2x of the first 1,000.",
    ]
    rate = Table(
        "Progress writes: throughput, dev platform vs bare werkzeug (same server class)",
        ["connections", "dev platform writes/s", "spread", "bare werkzeug writes/s", "spread",
         "dev vs bare"],
    )  # fmt: skip
    for label, table in (("4 busy", rates), ("4 busy + 50 idle", idle_rates)):
        rate.add(
            label, f"{median(table['dev']):,.0f}", spread(table["dev"]),
            f"{median(table['bare']):,.0f}", spread(table["bare"]),
            f"{median(table['dev']) / median(table['bare']):.2f}",
        )  # fmt: skip
    rate.notes += [
        f"{rounds} round(s) of {rate_writes:,} writes by 4 client threads (http.client, "
        "keep-alive), contenders alternating; client and servers share the machine's cores.",
        "Both servers are `PlatformServer` (werkzeug's BaseWSGIServer with at most 64 handler "
        "threads, a 30 s connection timeout, the same access log line); the bare app is a "
        "werkzeug `Request.application` that reads the body and answers 204.",
        "50 idle connections hold 50 of the 64 handler threads; requests per second with them "
        "open is the second row. Target (issue 10): dev at least 0.8x bare.",
    ]
    killed = Table(
        "Progress writes: SIGKILLs of the dev platform mid-traffic",
        ["kills", "writes", "stored", "duplicates", "lost", "temp files left"],
    )
    killed.add(*(f"{crash[k]:,}" for k in killed.columns))
    killed.notes.append(
        f"{kill_clients} clients x {kill_writes} writes, each retried with its key until "
        "answered; the server is killed at evenly spaced points and restarted on the same root."
    )
    tables = [cpu, rate, killed]
    if quick:
        for table in tables:
            table.notes.append("quick smoke mode: small counts, one round (no real figures).")
    return tables


def main(argv: list[str] | None = None) -> None:
    """The benchmark (or, with ``--bare-port``, the bare baseline server)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke mode: small counts")
    parser.add_argument("--bare-port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare_port:
        _serve_bare(args.bare_port)
        return
    print(f"load average before: {load()}")
    for table in run(args.quick):
        print(table.markdown())
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
