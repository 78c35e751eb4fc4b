"""The cache of remote objects: by URL and ETag, across processes, bounded, self-healing."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from brevetti_job import StorageError
from brevetti_job._storage import Cache, StaticCredentials, Storage, cache_from_environment
from tests.storage.conftest import make_s3_target

REPO = Path(__file__).resolve().parents[2]


def count_calls(storage, url):
    """Count the S3 calls the storage's client makes (botocore's event hooks)."""
    calls: list[str] = []
    client = storage.client(storage.location(url))
    client.meta.events.register("before-call.s3", lambda model, **kw: calls.append(model.name))
    return calls


def same_job(target, cache):
    """Another run of the same job: a new Storage with the same keys and cache."""
    identity = target.storage.test_identity
    return Storage(
        target.job,
        credentials=StaticCredentials.from_keys(identity.access_key, identity.secret_key),
        endpoint_url=target.storage._s3.endpoint_url,
        cache=cache,
    )


def test_an_object_is_fetched_once_and_its_etag_checked_once_per_run(s3_target, tmp_path):
    url = f"{s3_target.dataset}/img/1.png"
    s3_target.put(url, b"pixels")
    calls = count_calls(s3_target.storage, url)
    path = s3_target.storage.cached(url)
    assert path.read_bytes() == b"pixels" and calls == ["GetObject"]
    assert s3_target.storage.cached(url) == path and calls == ["GetObject"]  # no new question

    later = same_job(s3_target, Cache(tmp_path / "cache"))
    later_calls = count_calls(later, url)
    assert later.cached(url) == path and later_calls == ["HeadObject"]  # checked, not fetched
    assert later.cached(url) == path and later_calls == ["HeadObject"]


def test_a_changed_object_is_fetched_again(s3_target, tmp_path):
    url = f"{s3_target.dataset}/img/1.png"
    s3_target.put(url, b"old")
    assert s3_target.storage.cached(url).read_bytes() == b"old"
    s3_target.put(url, b"new content")
    later = same_job(s3_target, Cache(tmp_path / "cache"))
    assert later.cached(url).read_bytes() == b"new content"


def test_a_damaged_cached_file_is_fetched_again(s3_target, tmp_path):
    url = f"{s3_target.dataset}/img/1.png"
    s3_target.put(url, b"the real bytes")
    path = s3_target.storage.cached(url)
    path.write_bytes(b"the fake bytes")  # same size, other content: its MD5 differs
    later = same_job(s3_target, Cache(tmp_path / "cache"))
    calls = count_calls(later, url)
    assert later.cached(url).read_bytes() == b"the real bytes"
    assert calls == ["HeadObject", "GetObject"]
    path.unlink()  # a file removed behind the cache's back
    again = same_job(s3_target, Cache(tmp_path / "cache"))
    assert again.cached(url).read_bytes() == b"the real bytes"


READER = textwrap.dedent(
    """
    import json, sys
    from brevetti_job._storage import Cache, StaticCredentials, Storage
    endpoint, key, secret, cache, urls = json.loads(sys.stdin.read())
    storage = Storage(None, credentials=StaticCredentials.from_keys(key, secret),
                      endpoint_url=endpoint, cache=Cache(__import__("pathlib").Path(cache)))
    print(json.dumps([storage.cached(u).read_bytes().decode() for u in urls]))
    """
)


def test_several_processes_fill_and_read_one_cache_at_once(s3_target, tmp_path):
    urls = [f"{s3_target.dataset}/many/{i:02d}.png" for i in range(40)]
    for i, url in enumerate(urls):
        s3_target.put(url, f"content {i}".encode())
    identity = s3_target.storage.test_identity
    job = json.dumps(
        [
            s3_target.storage._s3.endpoint_url,
            identity.access_key,
            identity.secret_key,
            str(tmp_path / "shared-cache"),
            urls,
        ]
    )
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for _ in range(4)
    ]
    outputs = [reader.communicate(job, timeout=120)[0] for reader in readers]
    assert all(reader.returncode == 0 for reader in readers)
    expected = [f"content {i}" for i in range(40)]
    assert [json.loads(out) for out in outputs] == [expected] * 4
    cache = Cache(tmp_path / "shared-cache")
    assert all(cache.lookup(u) is not None for u in urls)
    assert not list((tmp_path / "shared-cache").rglob("*.part"))


class Disk:
    """Disk usage as a share of a small pretend disk that holds the cache's files."""

    def __init__(self, root: Path, total: int) -> None:
        self.root, self.total = root, total

    def __call__(self, path: Path) -> tuple[int, int]:
        used = sum(
            p.stat().st_size
            for p in self.root.rglob("*")
            if p.is_file() and p.suffix != ".db" and "-wal" not in p.name and "-shm" not in p.name
        )
        return used, self.total


def test_the_cache_stays_under_its_share_of_the_disk(object_store, tmp_path):
    root = tmp_path / "small-cache"
    cache = Cache(root, max_usage=0.5, disk_usage=Disk(root, total=4000))  # room for < 2000 B
    target = make_s3_target(object_store, tmp_path, cache=cache)
    urls = [f"{target.dataset}/big/{i}.bin" for i in range(5)]
    for i, url in enumerate(urls):
        target.put(url, bytes([i]) * 700)
    for i, url in enumerate(urls):
        assert target.storage.cached(url).read_bytes() == bytes([i]) * 700
    kept = [u for u in urls if cache.lookup(u) is not None]
    assert kept == urls[-3:]  # the least recently used went first
    files = [p for p in (root / "s3").rglob("*.bin")]
    assert len(files) == 3


def test_a_full_disk_is_a_clear_error_and_download_many_still_works(object_store, tmp_path):
    root = tmp_path / "full-cache"
    cache = Cache(root, max_usage=0.5, disk_usage=lambda path: (90, 100))
    target = make_s3_target(object_store, tmp_path, cache=cache)
    url = f"{target.dataset}/a.bin"
    target.put(url, b"abc")
    with pytest.raises(StorageError, match=r"cache .* is full"):
        target.storage.cached(url)
    paths = target.storage.download_many([url], tmp_path / "out")
    assert paths[0].read_bytes() == b"abc"
    assert not list(root.rglob("a.bin"))


def test_the_cache_comes_from_the_argument_or_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("BREVETTI_AI_CACHE", raising=False)
    assert cache_from_environment() is None
    assert cache_from_environment(tmp_path / "given").root == tmp_path / "given"
    monkeypatch.setenv("BREVETTI_AI_CACHE", str(tmp_path / "env"))
    monkeypatch.setenv("BREVETTI_AI_CACHE_MAX_USAGE", "0.6")
    cache = cache_from_environment()
    assert cache.root == tmp_path / "env" and cache.max_usage == 0.6
    monkeypatch.setenv("BREVETTI_AI_CACHE_MAX_USAGE", "lots")
    with pytest.raises(StorageError, match="BREVETTI_AI_CACHE_MAX_USAGE"):
        cache_from_environment()
    with pytest.raises(StorageError, match="share"):
        Cache(tmp_path, max_usage=1.5)


def test_download_many_checks_a_new_runs_cache_with_one_listing_per_folder(s3_target, tmp_path):
    urls = [f"{s3_target.dataset}/folder/{i:02d}.png" for i in range(40)]
    for i, url in enumerate(urls):
        s3_target.put(url, f"object {i}".encode())
    s3_target.storage.download_many(urls, tmp_path / "first")
    cached = s3_target.storage.cache.lookup(urls[7])
    cached.path.write_bytes(b"object X")  # damaged behind the cache's back, same size
    s3_target.put(urls[8], b"changed in the store")
    later = same_job(s3_target, Cache(tmp_path / "cache"))
    calls = count_calls(later, urls[0])
    paths = later.download_many(urls, tmp_path / "second")
    expected = [f"object {i}".encode() for i in range(40)]
    expected[8] = b"changed in the store"
    assert [p.read_bytes() for p in paths] == expected
    assert sorted(calls) == ["GetObject", "GetObject", "ListObjectsV2"]  # no HEAD at all


def test_a_downloaded_file_written_into_in_place_is_noticed_and_fetched_again(s3_target, tmp_path):
    url = f"{s3_target.dataset}/img/1.png"
    s3_target.put(url, b"the real bytes")
    storage = s3_target.storage
    (first,) = storage.download_many([url], tmp_path / "a")
    assert first.stat().st_ino == storage.cached(url).stat().st_ino  # a hard link, no copy
    with first.open("r+b") as handle:  # written in place: the cache's file changes too
        handle.write(b"THE")
    calls = count_calls(storage, url)
    (second,) = storage.download_many([url], tmp_path / "b")
    assert second.read_bytes() == b"the real bytes"
    assert calls == ["HeadObject", "GetObject"]  # checked again, then fetched again
    later = same_job(s3_target, Cache(tmp_path / "cache"))
    (third,) = later.download_many([url], tmp_path / "c", link=False)
    assert third.read_bytes() == b"the real bytes"
    assert third.stat().st_ino != later.cached(url).stat().st_ino  # a copy when asked
