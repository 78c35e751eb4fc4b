"""The durable outbox: records in order, on disk before sending, moved when done."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from brevetti_job._outbox import ArtifactRef, Outbox, Record

FIELDS: dict[str, Any] = {
    "host": "http://127.0.0.1:1",
    "job_id": "j1",
    "kind": "models",
    "op": "output",
    "method": "PUT",
    "path": "/api/models/j1/output",
}


def _add(outbox: Outbox, n: int, **kw: Any) -> Record:
    return outbox.add(**{**FIELDS, "idempotency_key": f"k{n}", "body": {"n": n}, **kw})


def test_records_are_numbered_in_order_and_on_disk(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    records = [_add(outbox, n) for n in range(12)]
    assert [r.seq for r in records] == list(range(1, 13))
    names = sorted(p.name for p in (tmp_path / "outbox").glob("*.json"))
    assert names == [f"{n:08d}.json" for n in range(1, 13)]
    assert [r.body["n"] for r in outbox.pending()] == list(range(12))
    on_disk = json.loads((tmp_path / "outbox" / "00000003.json").read_text())
    assert on_disk["idempotency_key"] == "k2" and on_disk["method"] == "PUT"
    assert not list((tmp_path / "outbox").glob(".*.tmp"))


def test_done_and_rejected_leave_pending_and_keep_the_numbering(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    first, second, third = (_add(outbox, n) for n in range(3))
    outbox.mark_done(first)
    outbox.mark_rejected(second, "409 already completed")
    assert [r.seq for r in outbox.pending()] == [third.seq]
    assert (outbox.count("pending"), outbox.count("done"), outbox.count("rejected")) == (1, 1, 1)
    kept = json.loads((tmp_path / "outbox" / "rejected" / second.file_name).read_text())
    assert kept["rejected"] == "409 already completed" and kept["idempotency_key"] == "k1"
    # a new Outbox on the same folder (e.g. `sync` later) goes on after the highest number
    again = Outbox(tmp_path / "outbox")
    outbox.mark_done(third)
    assert _add(again, 9).seq == 4


def test_artifact_records_round_trip(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    ref = ArtifactRef("models/w.bin", "ab" * 32, 10, 123)
    record = _add(outbox, 1, op="artifact", body=None, artifact=ref, params=(("a", "b"),))
    (loaded,) = outbox.pending()
    assert loaded == record and loaded.artifact == ref and loaded.params == (("a", "b"),)


@given(
    body=st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.text()
        | st.floats(allow_nan=False, allow_infinity=False),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=10,
    ),
    params=st.lists(st.tuples(st.text(max_size=5), st.text(max_size=5)), max_size=3),
)
def test_any_json_record_round_trips(body: Any, params: list[tuple[str, str]]) -> None:
    record = Record(seq=7, idempotency_key="k", body=body, params=tuple(params), **FIELDS)
    assert Record.from_json(json.loads(json.dumps(record.to_json()))) == record


def test_leftover_temp_files_of_a_crash_are_ignored(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    _add(outbox, 1)
    (tmp_path / "outbox" / ".00000002.json.abc.tmp").write_text("{half")
    assert [r.seq for r in Outbox(tmp_path / "outbox").pending()] == [1]


def _deliver_in_child(folder: str, queue: Any) -> None:
    outbox = Outbox(Path(folder))
    with outbox.delivering():
        queue.put("locked")
        for record in outbox.pending():
            outbox.mark_done(record)


def test_delivery_lock_is_exclusive_across_processes(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    for n in range(3):
        _add(outbox, n)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    with outbox.delivering():
        child = context.Process(target=_deliver_in_child, args=(str(outbox.folder), queue))
        child.start()
        # the child cannot take the lock while we hold it
        assert queue.empty()
        child.join(timeout=0.5)
        assert child.is_alive() and len(outbox.pending()) == 3
    assert queue.get(timeout=30) == "locked"
    child.join(timeout=30)
    assert child.exitcode == 0 and outbox.pending() == [] and outbox.count("done") == 3


def _add_in_child(folder: str, tag: str, count: int, barrier: Any) -> None:
    outbox = Outbox(Path(folder))
    _add(outbox, 0, body={"tag": tag, "n": 0})
    barrier.wait(timeout=60)  # both have written (and, before the fix, cached) a number
    for n in range(1, count):
        _add(outbox, n, body={"tag": tag, "n": n})


def test_two_processes_writing_into_one_outbox_lose_nothing(tmp_path: Path) -> None:
    """Two live jobs in one folder: record numbers are allocated across processes."""
    folder = tmp_path / "outbox"
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    children = [
        context.Process(target=_add_in_child, args=(str(folder), tag, 60, barrier))
        for tag in ("a", "b")
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=120)
        assert child.exitcode == 0
    records = Outbox(folder).pending()
    assert len(records) == 120
    assert [r.seq for r in records] == list(range(1, 121))
    for tag in ("a", "b"):  # each process's writes all there, in its own order
        assert [r.body["n"] for r in records if r.body["tag"] == tag] == list(range(60))


def test_a_stale_counter_never_reuses_a_number(tmp_path: Path) -> None:
    """A crash between writing a record and the counter: the next number skips it."""
    outbox = Outbox(tmp_path / "outbox")
    first, second = _add(outbox, 1), _add(outbox, 2)
    outbox.mark_done(second)
    (tmp_path / "outbox" / ".seq").write_text("1\n")  # as if the counter lagged behind
    third = _add(Outbox(tmp_path / "outbox"), 3)
    assert (first.seq, second.seq, third.seq) == (1, 2, 3)
    assert [r.body["n"] for r in outbox.pending()] == [1, 3]
