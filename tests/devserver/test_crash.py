"""Exactly once when the server dies: SIGKILLs while several clients write.

Each client sends its writes one after another, each with its own idempotency key,
retrying (same key, same body) until it gets an answer. The server is killed again and
again mid-traffic and restarted on the same root and port. Afterwards every write is in
the store exactly once and no temporary file is left.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from typing import Any

import requests

from ..conftest import DevServerProcess, PlatformJob

CLIENTS = 4
WRITES = 48  # per client: progress, chart, artifact, output in turn
KILLS = 8
DEADLINE = 120.0  # seconds for the whole run, restarts included


def _write(job: PlatformJob, client: int, index: int) -> tuple[str, str, dict[str, Any]]:
    """The index-th write of a client: method, path and request options."""
    tag = f"c{client}-w{index}"
    kind = index % 4
    if kind == 0:
        return "POST", "/remotemonitor", {"json": {"epoch": index, "client": client}}
    if kind == 1:
        return "POST", f"/charts?name={tag}", {"json": {"mark": "line", "tag": tag}}
    if kind == 2:
        return (
            "PUT",
            f"/artifacts/{tag}.bin",
            {"data": hashlib.sha256(tag.encode()).digest() * 4096},
        )
    return "PUT", "/output", {"json": {"output": {"client": client, "index": index}}}


class _Traffic:
    """Counts answered writes so the killer can strike while the clients are busy."""

    def __init__(self) -> None:
        self.done = 0
        self.condition = threading.Condition()
        self.failures: list[str] = []

    def answered(self) -> None:
        with self.condition:
            self.done += 1
            self.condition.notify_all()

    def wait_for(self, count: int, deadline: float) -> None:
        with self.condition:
            ok = self.condition.wait_for(
                lambda: self.done >= count or self.failures, deadline - time.monotonic()
            )
        assert ok and not self.failures, self.failures or "the clients stalled"


def _client(job: PlatformJob, client: int, traffic: _Traffic, deadline: float) -> None:
    session = requests.Session()
    try:
        for index in range(WRITES):
            method, path, options = _write(job, client, index)
            headers = {**job.headers, "Idempotency-Key": f"c{client}-w{index}"}
            while True:
                if time.monotonic() > deadline:
                    traffic.failures.append(f"client {client} ran out of time at write {index}")
                    return
                try:
                    answer = session.request(
                        method, job.url + path, headers=headers, timeout=10, **options
                    )
                except requests.RequestException:
                    time.sleep(0.02)  # retry interval while the server restarts
                    continue
                if answer.status_code >= 500:
                    time.sleep(0.02)
                    continue
                if answer.status_code >= 300:
                    traffic.failures.append(f"{method} {path}: {answer.status_code} {answer.text}")
                    return
                break
            traffic.answered()
    finally:
        session.close()


def test_kills_mid_traffic_apply_every_write_exactly_once(devserver_process):
    server: DevServerProcess = devserver_process()
    job = server.create_job()
    deadline = time.monotonic() + DEADLINE
    traffic = _Traffic()
    clients = [
        threading.Thread(target=_client, args=(job, c, traffic, deadline), daemon=True)
        for c in range(CLIENTS)
    ]
    for thread in clients:
        thread.start()
    step = CLIENTS * WRITES // (KILLS + 1)
    for kill in range(KILLS):
        traffic.wait_for((kill + 1) * step, deadline)
        server.kill()
        server.start()
    for thread in clients:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not traffic.failures, traffic.failures
    assert traffic.done == CLIENTS * WRITES

    state = server.state(job.id)
    progress = Counter((r["client"], r["epoch"]) for r in state["progress"])
    expected = {(c, i) for c in range(CLIENTS) for i in range(0, WRITES, 4)}
    assert set(progress) == expected
    assert [k for k, n in progress.items() if n > 1] == []  # no duplicates
    for c in range(CLIENTS):  # each client's records in the order it sent them
        mine = [r["epoch"] for r in state["progress"] if r["client"] == c]
        assert mine == sorted(mine)
    assert set(state["charts"]) == {
        f"c{c}-w{i}" for c in range(CLIENTS) for i in range(1, WRITES, 4)
    }
    artifacts = {a["name"]: a for a in state["artifacts"]}
    assert set(artifacts) == {f"c{c}-w{i}.bin" for c in range(CLIENTS) for i in range(2, WRITES, 4)}
    for name, record in artifacts.items():
        tag = name.removesuffix(".bin")
        content = hashlib.sha256(tag.encode()).digest() * 4096
        assert record["sha256"] == hashlib.sha256(content).hexdigest()
        assert (server.root / "jobs" / job.id / "artifacts" / name).read_bytes() == content
    assert state["output"]["output"]["index"] % 4 == 3
    keys = {f"c{c}-w{i}" for c in range(CLIENTS) for i in range(WRITES)}
    assert set(state["idempotency"]) == keys
    leftovers = [
        p for p in server.root.rglob("*") if p.suffix in (".tmp", ".part") or p.name.startswith(".")
    ]
    assert leftovers == []
