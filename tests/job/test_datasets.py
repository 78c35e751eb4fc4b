"""The job's datasets: full records that read through job.storage, samples, sample tables.

Local mode here (folders as datasets); platform mode against the dev platform's object
store is in tests/job/test_platform_storage.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from brevetti_job import Job, JobConfigError
from brevetti_job._datasets import read_samples_csv
from brevetti_job._description import JobDescription

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schema_examples" / "image_classification.yaml"


def _folder(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def _init(tmp_path: Path, *argv: str, **kw: Any) -> Job:
    env = {"BREVETTI_HYPERPARAMETERS_FILE": str(tmp_path / "none.json"), **kw.pop("env", {})}
    return Job.init(
        schema=SCHEMA, job_dir=kw.pop("job_dir", tmp_path / "job"), argv=list(argv), env=env, **kw
    )


IMAGES = {
    "good/a.png": b"a",
    "good/deep/b.JPG": b"bb",
    "bad/c.bmp": b"ccc",
    "root.png": b"r",
    "notes.txt": b"not an image",
    ".annotations/good/a.png/x.json": b"{}",
}


def test_a_local_folder_given_with_dataset_flag_is_a_dataset(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "screws", IMAGES)
    with _init(tmp_path, "--dataset", f"screws={folder}") as job:
        (dataset,) = job.datasets
        assert (dataset.id, dataset.name, dataset.bucket) == ("screws", "screws", str(folder))
        assert sorted(f.relative for f in dataset.files()) == sorted(
            n for n in IMAGES if not n.startswith(".")
        )
        samples = {s.path.removeprefix(str(folder) + "/"): s for s in dataset.samples()}
        assert set(samples) == {"good/a.png", "good/deep/b.JPG", "bad/c.bmp", "root.png"}
        assert samples["good/deep/b.JPG"].category == ("deep",)
        assert samples["root.png"].category == ("__root__",)
        mapped = dataset.samples(class_mapping={"good": "ok", "deep": []}, classes=["ok"])
        assert sorted(s.category for s in mapped) == [(), ("ok",)]
        path = job.save_samples(dataset.samples())
    assert path == job.artifacts_dir / "samples.csv"
    rows = read_samples_csv(path.read_text())
    assert sorted(r["folder"] for r in rows) == ["__root__", "bad", "deep", "good"]
    assert {r["dataset_id"] for r in rows} == {"screws"}


def test_a_description_dataset_with_a_local_bucket_and_an_override_by_name(
    tmp_path: Path,
) -> None:
    first = _folder(tmp_path / "first", {"a/1.png": b"1"})
    second = _folder(tmp_path / "second", {"b/2.png": b"2"})
    info = tmp_path / "info.json"
    info.write_text(
        json.dumps(
            {
                "id": "j1",
                "settings": {},
                "datasets": [
                    {"id": "d1", "name": "one", "bucket": str(first), "reference": "r1",
                     "locked": True, "custom": {"kept": 1}},
                    {"id": "d2", "name": "two", "bucket": "s3://somewhere/d2"},
                ],
            }
        )
    )  # fmt: skip
    with _init(tmp_path, "--info_file", str(info), "--dataset", f"two={second}") as job:
        one, two = job.datasets
        assert (one.id, one.reference, one.locked) == ("d1", "r1", True)
        assert one.extra == {"custom": {"kept": 1}}
        assert [s.category for s in one.samples()] == [("a",)]
        assert one.samples()[0].reference == "r1"
        assert (two.id, two.bucket) == ("d2", str(second))  # the local folder replaces it
        assert [s.dataset_id for s in two.samples()] == ["d2"]


def test_a_dataset_without_a_bucket_needs_a_data_bucket(tmp_path: Path) -> None:
    info = tmp_path / "info.json"
    info.write_text(json.dumps({"id": "j1", "datasets": [{"id": "d9", "name": "nine"}]}))
    job = _init(tmp_path, "--info_file", str(info))
    with pytest.raises(JobConfigError, match=r"nine \(d9\) has no bucket .* --dataset nine="):
        _ = job.datasets
    job.complete_job()
    bucket = _folder(tmp_path / "bucket", {"d9/x/1.png": b"1"})
    with _init(
        tmp_path, "--info_file", str(info), job_dir=tmp_path / "j2",
        env={"BREVETTIAI_DATA_BUCKET": str(bucket)},
    ) as job:  # fmt: skip
        (nine,) = job.datasets
        assert nine.bucket == f"{bucket}/d9" and [s.folder for s in nine.samples()] == ["x"]


def test_a_malformed_dataset_flag_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(JobConfigError, match="--dataset takes NAME=PATH"):
        _init(tmp_path, "--dataset", "no-equals-sign")


def test_local_mode_storage_is_the_job_folder(tmp_path: Path) -> None:
    with _init(tmp_path) as job:
        job.storage.write_text("artifacts/note.txt", "hello")
        assert (job.artifacts_dir / "note.txt").read_text() == "hello"
        assert job.storage.read_json("artifacts/output.json")["output"] == {}


def test_legacy_tag_ids_become_unknown_tags_when_a_record_has_no_tags(tmp_path: Path) -> None:
    """platform-storage.md section 6: the legacy class turns ``tagIds`` into tags named
    ``<Unknown>`` when ``tags`` is absent; a record with ``tags`` keeps its own."""
    legacy = {"id": "d1", "name": "old", "bucket": str(tmp_path), "tagIds": ["t1", 7]}
    dataset = JobDescription.from_json({"id": "j", "datasets": [legacy]}).datasets[0]
    assert dataset.tags == ({"id": "t1", "name": "<Unknown>"}, {"id": "7", "name": "<Unknown>"})
    assert dataset.to_json()["tagIds"] == ["t1", 7]  # the record's own key is kept too
    both = {**legacy, "tags": [{"id": "t1", "name": "Good", "parentId": None}]}
    (kept,) = JobDescription.from_json({"id": "j", "datasets": [both]}).datasets
    assert kept.tags == ({"id": "t1", "name": "Good", "parentId": None},)
    empty = {**legacy, "tags": []}  # present, even empty: no legacy tags
    assert JobDescription.from_json({"id": "j", "datasets": [empty]}).datasets[0].tags == ()
    with pytest.raises(JobConfigError, match="'tagIds' must be a list of ids"):
        JobDescription.from_json({"id": "j", "datasets": [{**legacy, "tagIds": "t1"}]})
