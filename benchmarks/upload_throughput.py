"""Issue 5: uploading a large artifact over loopback, our client against plain `requests`.

For each size (256 MiB and 1 GiB; ``--quick``: 32 MiB) a fresh dev server runs as a
subprocess on its own store, and three contenders upload the same file to it, each in
a fresh process, in alternating order over several rounds:

* ``plain requests.put``: ``requests.put(url, data=open(file, "rb"))``, the reference;
* ``PlatformClient.put_file``: our client, as the outbox delivers a recorded artifact
  (sha256 known, sent as ``X-Content-SHA256``; idempotency key, timeout, retries);
* ``job path``: `PlatformBackend.put_artifact`, all a job's upload does: sha256 of the
  file, a durable outbox record, HEAD, then the PUT.

Throughput is the file size over the wall time of the upload call (median of the
rounds). Peak memory is each client process's own VmHWM, and the server's
``VmHWM`` after all uploads of that size (a fresh server per size, so the figures show
whether memory grows with the file). The stored copy is removed after each upload.

    python -m benchmarks.upload_throughput [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ._common import EXAMPLES, ROOT, Table, load, median, spread

MIB = 1 << 20
SIZES = (256 * MIB, 1024 * MIB)
QUICK_SIZES = (32 * MIB,)
ROUNDS = 5
TOKEN = "benchmark-admin-token"
CONTENDERS = ("plain", "ours", "job")
LABELS = {
    "plain": "plain requests.put (reference)",
    "ours": "PlatformClient.put_file",
    "job": "job path (sha256 + outbox + HEAD + PUT)",
}


# -- the child processes: one upload each ----------------------------------------------------


def _child(args: argparse.Namespace) -> None:
    """Upload once and print the time of the upload call and this process's peak RSS."""
    import requests

    from brevetti_job._client import PlatformClient

    source = Path(args.file)
    path = f"/api/models/{args.job}/artifacts/{args.name}"
    if args.child == "plain":
        started = time.perf_counter()
        with source.open("rb") as handle:
            answer = requests.put(
                args.url + path,
                data=handle,
                headers={"Authorization": f"Bearer {args.key}"},
                timeout=(5, 120),
            )
        seconds = time.perf_counter() - started
        if answer.status_code not in (200, 201):
            raise SystemExit(f"plain upload: {answer.status_code} {answer.text}")
    elif args.child == "ours":
        client = PlatformClient(args.url, args.key)
        started = time.perf_counter()
        client.put_file(path, source, sha256=args.sha)
        seconds = time.perf_counter() - started
        client.close()
    else:
        from brevetti_job._outbox import Outbox
        from brevetti_job._platform import PlatformBackend, Routes

        job_dir = Path(args.job_dir)
        artifact = job_dir / "artifacts" / args.name
        artifact.parent.mkdir(parents=True, exist_ok=True)
        os.link(source, artifact)  # the job's own copy, without copying
        client = PlatformClient(args.url, args.key)
        backend = PlatformBackend(
            client, Outbox(job_dir / "outbox"), Routes.for_job("models", args.job),
            job_dir / "artifacts",
        )  # fmt: skip
        started = time.perf_counter()
        backend.put_artifact(args.name, artifact)
        seconds = time.perf_counter() - started
        backend.close()
        if backend.outbox.count("pending"):
            raise SystemExit("job path: the upload stayed pending")
    print(json.dumps({"seconds": seconds, "peak_rss": _own_peak_rss()}))


def _own_peak_rss() -> int:
    """This process's peak RSS in bytes: VmHWM, which exec resets (ru_maxrss does not)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# -- the parent: files, servers, rounds ---------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def make_file(path: Path, size: int) -> str:
    """Write `size` bytes that do not repeat in short cycles; their sha256."""
    base = random.Random(size).randbytes(MIB)
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        for n in range(size // MIB):
            shift = (n * 7919) % MIB
            block = base[shift:] + base[:shift]
            handle.write(block)
            digest.update(block)
    return digest.hexdigest()


class Server:
    """The dev server as a subprocess on a fresh store; ready once it printed its address."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable, "-m", "brevetti_job", "serve", "--root", str(root),
            "--port", str(self.port), "--admin-token", TOKEN,
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # the readiness handshake: its address
        if self.url not in line:
            self.stop()
            raise RuntimeError(f"the dev server did not start: {line!r}")

    def create_job(self) -> tuple[str, str]:
        """A new job's id and key, made with the admin API."""
        import requests

        schema = (EXAMPLES / "image_classification.yaml").read_text(encoding="utf-8")
        answer = requests.post(
            f"{self.url}/api/admin/jobs",
            json={"schema": schema, "kind": "model"},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )
        answer.raise_for_status()
        data = answer.json()
        return str(data["id"]), str(data["api_key"])

    def peak_rss(self) -> int:
        """The server process's peak resident memory so far (VmHWM), in bytes."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return 0

    def stop(self) -> None:
        """Stop the server and wait for it."""
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(30)
        if self.process.stdout is not None:
            self.process.stdout.close()


def _upload(contender: str, server: Server, job: tuple[str, str], source: Path, sha: str,
            work: Path) -> dict[str, Any]:  # fmt: skip
    name = f"bench/{contender}.bin"
    job_dir = work / f"job-{contender}"
    shutil.rmtree(job_dir, ignore_errors=True)
    command = [
        sys.executable, "-m", "benchmarks.upload_throughput", "--child", contender,
        "--url", server.url, "--job", job[0], "--key", job[1], "--file", str(source),
        "--name", name, "--sha", sha, "--job-dir", str(job_dir),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"{contender} upload failed: {result.stderr}")
    sample: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    stored = server.root / "jobs" / job[0] / "artifacts" / name
    if stored.stat().st_size != source.stat().st_size:
        raise RuntimeError(f"{contender}: the server stored {stored.stat().st_size} bytes")
    stored.unlink()  # keep the disk use to one stored copy
    shutil.rmtree(job_dir, ignore_errors=True)
    return sample


def measure(size: int, rounds: int, work: Path) -> tuple[dict[str, list[dict[str, Any]]], int]:
    """Samples per contender for one size, and the server's peak RSS."""
    source = work / "artifact.bin"
    sha = make_file(source, size)
    server = Server(work / "store")
    try:
        job = server.create_job()
        samples: dict[str, list[dict[str, Any]]] = {c: [] for c in CONTENDERS}
        for index in range(rounds):
            order = CONTENDERS if index % 2 == 0 else tuple(reversed(CONTENDERS))
            for contender in order:
                samples[contender].append(_upload(contender, server, job, source, sha, work))
        server_peak = server.peak_rss()
    finally:
        server.stop()
        source.unlink(missing_ok=True)
        shutil.rmtree(work / "store", ignore_errors=True)
    return samples, server_peak


def run(quick: bool) -> list[Table]:
    """The upload table: throughput per size and contender, and peak memory."""
    sizes, rounds = (QUICK_SIZES, 1) if quick else (SIZES, ROUNDS)
    table = Table(
        "Upload: one artifact over loopback to the dev server",
        ["size", "uploader", "MiB/s (median)", "spread", "vs plain", "client peak RSS",
         "server peak RSS"],
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="brevetti-upload-bench-") as folder:
        for size in sizes:
            samples, server_peak = measure(size, rounds, Path(folder))
            rates = {c: [size / MIB / s["seconds"] for s in samples[c]] for c in CONTENDERS}
            reference = median(rates["plain"])
            for contender in CONTENDERS:
                peak = max(s["peak_rss"] for s in samples[contender])
                table.add(
                    f"{size // MIB} MiB", LABELS[contender], f"{median(rates[contender]):,.0f}",
                    spread(rates[contender]), f"{median(rates[contender]) / reference:.2f}",
                    f"{peak / MIB:.0f} MiB",
                    f"{server_peak / MIB:.0f} MiB" if contender == "plain" else "″",
                )  # fmt: skip
    table.notes += [
        f"{rounds} round(s) per size, contenders alternating in order; each upload in a fresh "
        "process; MiB/s = size / wall time of the upload call.",
        "Target (issue 5): PlatformClient.put_file at least 0.8 of plain requests.put; client "
        "and server under 100 MB each, not growing with the file size.",
        "Server: `brevetti-job serve` (werkzeug, threaded), a fresh store per size; it hashes "
        "and writes every byte to disk. Peak RSS: VmHWM of the server and of each client.",
        "The job path also reads the file once for its sha256 before sending it. Our client "
        "hands the socket 1 MiB blocks; plain requests uses urllib3's default of 16 KiB.",
    ]
    if quick:
        table.notes.append("quick smoke mode: one small size, one round (no real figures).")
    return [table]


def main(argv: list[str] | None = None) -> None:
    """The benchmark (or, with ``--child``, one upload in a child process)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke mode: 32 MiB, one round")
    parser.add_argument("--child", choices=CONTENDERS, help=argparse.SUPPRESS)
    for flag in ("--url", "--job", "--key", "--file", "--name", "--sha", "--job-dir"):
        parser.add_argument(flag, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args)
        return
    print(f"load average before: {load()}")
    for table in run(args.quick):
        print(table.markdown())
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
