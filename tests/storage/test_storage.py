"""`Storage` on local disk and on the real object store: every method, the same answers."""

from __future__ import annotations

import datetime
import hashlib
import io
import itertools
import json
from pathlib import Path

import pytest

from brevetti_job import StorageError, StorageNotFound, StoragePermissionError
from brevetti_job._storage import StaticCredentials, Storage


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def test_whole_objects_round_trip(target):
    s = target.storage
    assert s.write_bytes("artifacts/a.bin", b"\x00\x01") == f"{target.job}/artifacts/a.bin"
    assert s.read_bytes("artifacts/a.bin") == b"\x00\x01"
    assert s.read_bytes(f"{target.job}/artifacts/a.bin") == b"\x00\x01"
    s.write_text("notes/æøå.txt", "blåbær\n")
    assert s.read_text("notes/æøå.txt") == "blåbær\n"
    s.write_json("artifacts/output.json", {"output": {"accuracy": 0.93}, "n": [1, 2]})
    assert s.read_json("artifacts/output.json") == {"output": {"accuracy": 0.93}, "n": [1, 2]}
    s.write_bytes("artifacts/a.bin", b"replaced")
    assert s.read_bytes("artifacts/a.bin") == b"replaced"


def test_a_local_write_leaves_no_temporary_file(tmp_path):
    storage = Storage(tmp_path / "job", progress=False)
    storage.write_json("artifacts/output.json", {"a": 1})
    assert sorted(p.name for p in (tmp_path / "job" / "artifacts").iterdir()) == ["output.json"]


def test_open_streams_the_object(target):
    data = bytes(range(256)) * 9000  # 2.3 MB
    target.storage.write_bytes("big.bin", data)
    with target.storage.open("big.bin") as stream:
        first = stream.read(1000)
        rest = stream.read()
    assert first + rest == data
    with pytest.raises(ValueError, match="reads only"):
        target.storage.open("big.bin", "wb")  # type: ignore[arg-type]


def test_exists_and_stat(target):
    s = target.storage
    s.write_bytes("x/y.txt", b"hello")
    assert s.exists("x/y.txt") and not s.exists("x/nothing.txt")
    info = s.stat("x/y.txt")
    assert info.url == f"{target.job}/x/y.txt"
    assert info.size == 5
    assert info.etag == md5(b"hello")  # S3's ETag of a single-part upload; local: the MD5
    assert isinstance(info.modified, datetime.datetime)
    age = datetime.datetime.now(datetime.UTC) - info.modified
    assert abs(age.total_seconds()) < 300


def test_list_recursive_and_not(target):
    s = target.storage
    for name in ("a/1.png", "a/b/2.png", "c.txt", "a/b/c/3.png"):
        s.write_bytes(name, name.encode())
    everything = list(s.list(target.job))
    assert sorted(o.relative for o in everything) == [
        "a/1.png",
        "a/b/2.png",
        "a/b/c/3.png",
        "c.txt",
    ]
    assert {o.url for o in everything} == {
        f"{target.job}/{n}" for n in ("a/1.png", "a/b/2.png", "a/b/c/3.png", "c.txt")
    }
    sizes = {o.relative: o.size for o in everything}
    assert sizes["a/b/c/3.png"] == len(b"a/b/c/3.png")
    top = sorted((o.relative, o.is_folder) for o in s.list(target.job, recursive=False))
    assert top == [("a", True), ("c.txt", False)]
    assert sorted(o.relative for o in s.list("a")) == ["1.png", "b/2.png", "b/c/3.png"]


def test_listing_is_lazy_page_by_page(s3_target):
    s = s3_target.storage
    for i in range(25):
        s.write_bytes(f"many/{i:03d}", b"x")
    location = s.location("many")
    client = s.client(location)
    calls = []
    client.meta.events.register("before-call.s3.ListObjectsV2", lambda **kw: calls.append(1))
    listing = s.list("many", page_size=10)
    assert calls == []  # nothing asked before the first item is wanted
    first = list(itertools.islice(listing, 10))
    assert len(first) == 10 and len(calls) == 1
    rest = list(listing)
    assert len(rest) == 15 and len(calls) == 3
    assert [o.relative for o in first + rest] == [f"{i:03d}" for i in range(25)]


def test_copy_and_delete_inside_the_job_folder(target):
    s = target.storage
    s.write_bytes("a.txt", b"A")
    assert s.copy("a.txt", "copies/b.txt") == f"{target.job}/copies/b.txt"
    assert s.read_bytes("copies/b.txt") == b"A"
    s.delete("a.txt")
    assert not s.exists("a.txt")
    s.delete("a.txt")  # already gone: not an error
    s.write_bytes("folder/1", b"1")
    s.write_bytes("folder/2/3", b"3")
    s.delete("folder", recursive=True)
    assert list(s.list(target.job)) != [] and not s.exists("folder/2/3")


def test_copy_between_local_disk_and_the_store(s3_target, tmp_path):
    s = s3_target.storage
    local = tmp_path / "local.txt"
    local.write_bytes(b"from disk")
    s.copy(local, "uploaded.txt")
    assert s.read_bytes("uploaded.txt") == b"from disk"
    s.copy("uploaded.txt", tmp_path / "back" / "again.txt")
    assert (tmp_path / "back" / "again.txt").read_bytes() == b"from disk"


def test_copy_from_a_dataset_into_the_job_folder(target):
    target.put(f"{target.dataset}/img/1.png", b"pixels")
    target.storage.copy(f"{target.dataset}/img/1.png", "artifacts/1.png")
    assert target.storage.read_bytes("artifacts/1.png") == b"pixels"


def test_upload_and_download_large_files_in_parts(object_store, tmp_path):
    from tests.storage.conftest import make_s3_target

    target = make_s3_target(object_store, tmp_path, multipart_chunk=5 << 20)
    s = target.storage
    data = hashlib.sha256(b"seed").digest() * (11 * (1 << 20) // 32)  # 11 MiB
    source = tmp_path / "model.bin"
    source.write_bytes(data)
    s.upload(source, "artifacts/model.bin")
    info = s.stat("artifacts/model.bin")
    assert info.size == len(data) and info.etag.endswith("-3")  # three 5 MiB parts
    got = s.download("artifacts/model.bin", tmp_path / "out")
    assert got == tmp_path / "out" and got.read_bytes() == data
    folder = tmp_path / "folder"
    folder.mkdir()
    assert s.download("artifacts/model.bin", folder) == folder / "model.bin"
    assert not [p for p in folder.iterdir() if p.name.endswith(".part")]


def test_upload_and_download_on_local_disk(tmp_path):
    s = Storage(tmp_path / "job", progress=False)
    (tmp_path / "src.bin").write_bytes(b"data")
    assert s.upload(tmp_path / "src.bin", "artifacts/x.bin") == str(
        tmp_path / "job/artifacts/x.bin"
    )
    assert s.download("artifacts/x.bin", tmp_path / "copy.bin").read_bytes() == b"data"


def test_download_many_keeps_the_folders_below_the_common_one(target, tmp_path):
    names = [f"cls{i % 3}/{i:03d}.png" for i in range(30)]
    for name in names:
        target.put(f"{target.dataset}/{name}", name.encode())
    urls = [f"{target.dataset}/{n}" for n in names]
    paths = target.storage.download_many(urls, tmp_path / "out")
    assert paths == [tmp_path / "out" / n for n in names]
    assert all(p.read_bytes() == n.encode() for p, n in zip(paths, names, strict=True))
    again = target.storage.download_many(urls, tmp_path / "out2", use_cache=False)
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in paths]


def test_cached_returns_a_local_file_with_the_content(target):
    target.put(f"{target.dataset}/a.bin", b"cached content")
    path = target.storage.cached(f"{target.dataset}/a.bin")
    assert isinstance(path, Path) and path.read_bytes() == b"cached content"
    if target.kind == "s3":
        bucket, key = target.dataset[5:].split("/", 1)
        assert path == target.storage.cache.root / "s3" / bucket / key / "a.bin"
    else:
        assert path == Path(target.dataset) / "a.bin"


# -- errors ------------------------------------------------------------------------------------


def test_a_missing_object_is_storage_not_found_naming_the_url(target):
    with pytest.raises(StorageNotFound) as caught:
        target.storage.read_bytes("no/such.txt")
    assert isinstance(caught.value, FileNotFoundError)
    assert f"{target.job}/no/such.txt" in str(caught.value)
    assert caught.value.url == f"{target.job}/no/such.txt"
    assert caught.value.__cause__ is not None
    for call in (
        lambda: target.storage.stat("no/such.txt"),
        lambda: target.storage.open("no/such.txt"),
        lambda: target.storage.cached(f"{target.dataset}/nothing.png"),
        lambda: target.storage.download("no/such.txt", Path(target.job).parent / "x"),
    ):
        with pytest.raises(StorageNotFound):
            call()


def test_the_store_refuses_what_the_credentials_do_not_allow(s3_target):
    s, identity = s3_target.storage, s3_target.storage.test_identity
    s3_target.put(f"{s3_target.other}/secret.txt", b"not yours")
    s3_target.put(f"{s3_target.dataset}/a.png", b"png")
    attempts = {
        "write another job's folder": lambda: s.write_bytes(f"{s3_target.other}/x", b"x"),
        "read another job's folder": lambda: s.read_bytes(f"{s3_target.other}/secret.txt"),
        "write into a dataset": lambda: s.write_bytes(f"{s3_target.dataset}/x", b"x"),
        "list another folder": lambda: list(s.list(s3_target.other)),
    }
    for what, attempt in attempts.items():
        with pytest.raises(StoragePermissionError) as caught:
            attempt()
        error = caught.value
        assert isinstance(error, PermissionError), what
        assert "refused by the store" in str(error) and "AccessDenied" in str(error), what
        assert s3_target.other in error.url or s3_target.dataset in error.url, what
        for secret in (identity.access_key, identity.secret_key):
            assert secret not in str(error) and secret not in repr(error)
            assert secret not in str(error.__cause__)
    assert s.read_bytes(f"{s3_target.dataset}/a.png") == b"png"


def test_unknown_keys_are_refused_and_never_shown(object_store):
    storage = Storage(
        f"s3://{object_store.bucket()}/job",
        credentials=StaticCredentials.from_keys(
            "AKNOSUCHKEY12345", "a-secret-nobody-has-0123456789"
        ),
        endpoint_url=object_store.endpoint,
    )
    with pytest.raises(StoragePermissionError) as caught:
        storage.write_bytes("a", b"a")
    text = f"{caught.value} {caught.value!r} {caught.value.__cause__} {caught.value.__cause__!r}"
    assert "InvalidAccessKeyId" in str(caught.value)
    assert "AKNOSUCHKEY12345" not in text and "a-secret-nobody-has" not in text
    assert "AKNOSUCHKEY12345" not in repr(storage)


@pytest.mark.parametrize("escape", ["../job2/x.txt", "a/../../job2/x.txt", "../../etc/passwd"])
def test_a_relative_path_cannot_escape_the_job_folder(target, escape):
    with pytest.raises(StoragePermissionError, match="escapes the job folder"):
        target.storage.write_bytes(escape, b"x")
    with pytest.raises(StoragePermissionError, match="escapes the job folder"):
        target.storage.read_bytes(escape)


def test_a_symlink_out_of_a_local_job_folder_is_refused(tmp_path):
    (tmp_path / "job").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "job" / "link").symlink_to(tmp_path / "outside")
    storage = Storage(tmp_path / "job")
    with pytest.raises(StoragePermissionError, match="links out of the job folder"):
        storage.write_bytes("link/x.txt", b"x")
    assert not (tmp_path / "outside" / "x.txt").exists()


def test_delete_only_inside_the_job_folder(target):
    target.put(f"{target.dataset}/keep.png", b"keep")
    with pytest.raises(StoragePermissionError, match="only objects in the job's own folder"):
        target.storage.delete(f"{target.dataset}/keep.png")
    with pytest.raises(StoragePermissionError):
        Storage(None).delete(f"{target.dataset}/keep.png")
    assert target.storage.read_bytes(f"{target.dataset}/keep.png") == b"keep"


def test_dot_segments_in_a_key_are_refused(s3_target):
    with pytest.raises(StoragePermissionError, match=r"'\.\.' are not allowed"):
        s3_target.storage.read_bytes(f"{s3_target.job}/../job2/secret.txt")


def test_bad_urls_and_bad_content_are_clear_errors(target):
    with pytest.raises(StorageError, match="unsupported scheme 'http'"):
        target.storage.read_bytes("http://example.invalid/x")
    with pytest.raises(StorageError, match="needs a bucket"):
        target.storage.read_bytes("s3:///key")
    target.storage.write_bytes("broken.json", b'{"a": 1,\n oops}')
    with pytest.raises(StorageError, match=r"not JSON \(line 2"):
        target.storage.read_json("broken.json")
    target.storage.write_bytes("latin.txt", "æ".encode("latin-1"))
    with pytest.raises(StorageError, match="not utf-8 text"):
        target.storage.read_text("latin.txt")


def test_the_store_stopped_and_started_again_mid_use(s3_target, object_store):
    s = s3_target.storage
    s.write_bytes("before.txt", b"before")
    stream = s.open("before.txt")
    object_store.seaweed.stop()
    try:
        with pytest.raises(StorageError, match="cannot be reached") as caught:
            s.read_bytes("before.txt")
        assert not isinstance(caught.value, StorageNotFound | StoragePermissionError)
        with pytest.raises(StorageError, match="cannot be reached"):
            s.write_bytes("during.txt", b"lost?")
    finally:
        object_store.seaweed.start()
    assert s.read_bytes("before.txt") == b"before"
    s.write_bytes("after.txt", b"after")
    assert s.read_bytes("after.txt") == b"after"
    assert not s.exists("during.txt")
    stream.close()


def test_write_json_output_is_readable_json(tmp_path):
    s = Storage(tmp_path)
    s.write_json("o.json", {"k": "ø"})
    assert json.loads((tmp_path / "o.json").read_text(encoding="utf-8")) == {"k": "ø"}
    assert io.BytesIO(s.read_bytes("o.json")).read().endswith(b"\n")


def test_long_transfers_show_a_bar_only_when_asked_or_on_a_terminal(object_store, tmp_path, capsys):
    from tests.storage.conftest import make_s3_target

    big = tmp_path / "big.bin"
    big.write_bytes(b"\x07" * (17 << 20))
    quiet = make_s3_target(object_store, tmp_path)
    quiet.storage._progress = None  # decide by the terminal: pytest's stderr is none
    quiet.storage.upload(big, "quiet.bin")
    assert capsys.readouterr().err == ""
    loud = make_s3_target(object_store, tmp_path)
    loud.storage._progress = True
    loud.storage.upload(big, "loud.bin")
    err = capsys.readouterr().err
    assert "upload big.bin" in err and "17.0M" in err
    names = [f"{loud.job}/small/{i}" for i in range(100)]
    for url in names:
        loud.put(url, b"s")
    loud.storage.download_many(names, tmp_path / "many")
    assert "download" in capsys.readouterr().err


_UPLOAD_SCRIPT = """
import sys
from pathlib import Path
from brevetti_job._storage import StaticCredentials, Storage

job, endpoint, access, secret, big = sys.argv[1:]
storage = Storage(job, credentials=StaticCredentials.from_keys(access, secret), endpoint_url=endpoint)
storage.upload(Path(big), "on-a-terminal.bin")
print("uploaded", file=sys.stderr, flush=True)
"""


@pytest.mark.parametrize("terminal", [True, False])
def test_a_long_upload_shows_a_bar_on_a_real_terminal_by_default(object_store, tmp_path, terminal):
    """The default decides by standard error: a pseudo-terminal gets tqdm's bar, a pipe
    gets nothing but the script's own line."""
    import fcntl
    import os
    import struct
    import subprocess
    import sys
    import termios

    from tests.storage.conftest import make_s3_target

    target = make_s3_target(object_store, tmp_path)
    identity = target.storage.test_identity  # type: ignore[attr-defined]
    big = tmp_path / "big.bin"
    big.write_bytes(b"\x05" * (17 << 20))
    command = [
        sys.executable, "-c", _UPLOAD_SCRIPT, target.job, object_store.endpoint,
        identity.access_key, identity.secret_key, str(big),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    if terminal:
        main, side = os.openpty()
        fcntl.ioctl(side, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 wide
        child = subprocess.Popen(command, stderr=side, stdout=subprocess.DEVNULL, env=env)
        os.close(side)
        chunks = []
        while True:  # until the child closes its end of the terminal
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: no writer left
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(main)
        assert child.wait(timeout=120) == 0
        err = b"".join(chunks).decode(errors="replace")
    else:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        err = done.stderr
    assert "uploaded" in err
    assert ("upload big.bin" in err and "17.0M" in err) == terminal, err
    assert target.storage.stat("on-a-terminal.bin").size == 17 << 20
