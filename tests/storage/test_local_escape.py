"""`Storage.delete` deletes only inside the job folder, also for absolute local paths
that climb out with ``..`` or lead out through a link inside the folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from brevetti_job import Storage, StoragePermissionError


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
