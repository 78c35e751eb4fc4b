"""`Storage.delete` deletes only inside the job folder, also for absolute local paths
that climb out with ``..`` or lead out through a link inside the folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from brevetti_job import Storage, StorageError, StoragePermissionError


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Storage, Path, Path]:
    job, outside = tmp_path / "job", tmp_path / "outside"
    job.mkdir()
    outside.mkdir()
    (job / "link").symlink_to(outside, target_is_directory=True)
    return Storage(job), job, outside


@pytest.mark.parametrize(
    "name", ["{job}/../outside/victim.txt", "{job}/link/victim.txt", "link/victim.txt"]
)
def test_delete_refuses_a_path_that_leads_out_of_the_job_folder(layout, name: str) -> None:
    storage, job, outside = layout
    victim = outside / "victim.txt"
    victim.write_text("keep")
    with pytest.raises(StoragePermissionError):
        storage.delete(name.format(job=job))
    assert victim.read_text() == "keep"


def test_delete_still_deletes_inside_the_job_folder(layout) -> None:
    storage, job, _ = layout
    (job / "a").mkdir()
    (job / "a" / "x.txt").write_text("x")
    storage.delete(str(job / "a" / ".." / "a" / "x.txt"))
    storage.delete("a", recursive=True)
    assert not (job / "a").exists() and (job / "link").is_symlink()


@pytest.mark.parametrize("key", ["/escaped.txt", "a//b.txt", "a/./b.txt"])
def test_an_odd_key_never_names_a_file_outside_the_cache(tmp_path: Path, key: str) -> None:
    from brevetti_job._storage._cache import Cache
    from brevetti_job._storage._urls import s3_location

    cache = Cache(tmp_path / "cache")
    with pytest.raises(StoragePermissionError, match="segment"):
        cache.path_for(s3_location("bucket", key))  # as a listing gives it, unchecked


@pytest.mark.parametrize("key", ["data//escaped.txt", "data/./x.txt"])
def test_download_many_maps_no_odd_key_outside_the_destination(key: str) -> None:
    """Where download_many puts each object (SeaweedFS folds '//', AWS S3 keeps it)."""
    from brevetti_job._storage._storage import _relative
    from brevetti_job._storage._urls import s3_location

    for base in (s3_location("bucket", "data"), s3_location("other", "data")):
        with pytest.raises(StoragePermissionError, match="segment"):
            _relative(s3_location("bucket", key), base)
    assert _relative(s3_location("bucket", "data/a/b.txt"), s3_location("bucket", "data")) == (
        "a/b.txt"
    )


def test_a_dot_bucket_is_no_bucket() -> None:
    with pytest.raises(StorageError, match="needs a bucket"):
        Storage(None).read_bytes("s3://../etc/passwd")
