"""Exactly once when the server dies: SIGKILLs while several clients write.

Each client sends its writes one after another, each with its own idempotency key,
retrying (same key, same body) until it gets an answer. The server is killed again and
again mid-traffic and restarted on the same root and port. Afterwards every write is in
the store exactly once and no temporary file is left.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from typing import Any

import requests

from ..conftest import DevServerProcess, PlatformJob

CLIENTS = 4
WRITES = 48  # per client: progress (JSON), chart, progress (form), its running chart in turn
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
        record = json.dumps({"epoch": index, "client": client, "pad": "x" * 4096})
        return "POST", "/remotemonitor", {"data": {"data": record}}
    return "POST", f"/charts?name=c{client}-last", {"json": {"client": client, "index": index}}


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
    expected = {(c, i) for c in range(CLIENTS) for i in range(WRITES) if i % 4 in (0, 2)}
    assert set(progress) == expected
    assert [k for k, n in progress.items() if n > 1] == []  # no duplicates
    for c in range(CLIENTS):  # each client's records in the order it sent them
        mine = [r["epoch"] for r in state["progress"] if r["client"] == c]
        assert mine == sorted(mine)
    charts = state["charts"]
    assert set(charts) == {f"c{c}-w{i}" for c in range(CLIENTS) for i in range(1, WRITES, 4)} | {
        f"c{c}-last" for c in range(CLIENTS)
    }
    for c in range(CLIENTS):  # a chart replaced in turn holds the client's last version
        assert charts[f"c{c}-last"] == {"client": c, "index": WRITES - 1}
    keys = {f"c{c}-w{i}" for c in range(CLIENTS) for i in range(WRITES)}
    assert set(state["idempotency"]) == keys
    leftovers = [
        p for p in server.root.rglob("*") if p.suffix in (".tmp", ".part") or p.name.startswith(".")
    ]
    assert leftovers == []
