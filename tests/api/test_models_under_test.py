"""Test reports get the model under test: job.models, the example report job, tampering."""

from __future__ import annotations

import hashlib
import importlib
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from brevetti_job import JobConfigError, ModelPackage, PackageError
from brevetti_job._models import models_of

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "schema_examples"
TRAIN = EXAMPLES / "train_classifier.py"
REPORT = EXAMPLES / "test_report_classifier.py"


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished local run of the example training job."""
    job_dir = tmp_path_factory.mktemp("trained") / "job"
    done = _run(str(TRAIN), "--job_dir", str(job_dir), "--preset", "quick")
    assert done.returncode == 0, done.stderr
    return job_dir


def _json(path: Path):
    return json.loads(path.read_text())


def test_the_training_example_writes_a_checked_package(trained: Path, tmp_path: Path) -> None:
    status = _json(trained / "status.json")
    opened = ModelPackage.open(trained / status["model_path"], tmp_path / "m")
    assert opened.classes == ["good", "defect"] and opened.input_shape == [32, 32]
    assert set(json.loads(opened.read_bytes("model.json"))) >= {"weights", "bias", "classes"}


def test_the_example_report_evaluates_the_trained_model(trained: Path, tmp_path: Path) -> None:
    report = tmp_path / "report"
    done = _run(str(REPORT), "--model-dir", str(trained), "--job_dir", str(report))
    assert done.returncode == 0, done.stderr
    status = _json(report / "status.json")
    assert status["status"] == "completed" and status["kind"] == "report"
    output = _json(report / "artifacts" / "output.json")["output"]
    assert output["test_images"] == 200 and output["accuracy"] > 0.6
    assert {"good_f1", "defect_f1", "precision", "recall"} <= set(output)
    per_class = _json(report / "artifacts" / "per_class_metrics.json")
    assert set(per_class) == {"good", "defect"}
    assert sum(c["support"] for c in per_class.values()) == 200
    chart = _json(report / "charts" / "confusion_matrix.json")
    assert sum(v["count"] for v in chart["data"]["values"]) == 200
    page = (report / "artifacts" / "report.html").read_text()
    assert "<h1>Model test report</h1>" in page and "defect" in page


def test_a_tampered_model_fails_the_report_clearly(trained: Path, tmp_path: Path) -> None:
    copy = tmp_path / "trained"
    subprocess.run(["cp", "-r", str(trained), str(copy)], check=True)
    archive = copy / _json(copy / "status.json")["model_path"]
    with tarfile.open(archive) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]
    members["model.json"] = members["model.json"].replace(b"weights", b"wEights")
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            import io

            tar.addfile(info, io.BytesIO(data))
    report = tmp_path / "report"
    done = _run(str(REPORT), "--model-dir", str(copy), "--job_dir", str(report))
    assert done.returncode != 0
    status = _json(report / "status.json")
    assert status["status"] == "failed" and "does not match its sha256" in status["reason"]
    assert "Traceback" not in status["reason"]
    assert not (report / "artifacts" / "report.html").exists()


def test_models_entries_are_checked(tmp_path: Path) -> None:
    with pytest.raises(JobConfigError, match="needs an 'id'"):
        models_of([{"bucket": "x"}])
    with pytest.raises(JobConfigError, match="needs a 'bucket'"):
        models_of([{"id": "m1"}])
    folder = tmp_path / "m1"
    (folder / "artifacts").mkdir(parents=True)
    (model,) = models_of([{"id": "m1", "bucket": str(folder)}])
    assert model.name == "m1"
    with pytest.raises(JobConfigError, match="has no model archive"):
        model.download(tmp_path / "d")
    (evil,) = models_of([{"id": "m1", "bucket": str(folder), "model_path": "../../etc/x.tar.gz"}])
    with pytest.raises(JobConfigError, match="relative path inside"):
        evil.download(tmp_path / "d")
    (remote,) = models_of([{"id": "m2", "bucket": "s3://data/m2"}])
    with pytest.raises(JobConfigError, match="needs the job's storage"):
        remote.download(tmp_path / "d")


def test_download_checks_the_archive_sha256(tmp_path: Path) -> None:
    folder = tmp_path / "m1"
    path = ModelPackage("m").add_bytes("w.bin", b"w").save(folder / "artifacts" / "m.tar.gz")
    good = hashlib.sha256(path.read_bytes()).hexdigest()
    entry = {"id": "m1", "name": "one", "bucket": str(folder), "model_path": "artifacts/m.tar.gz"}
    (model,) = models_of([{**entry, "sha256": good}])
    assert model.download(tmp_path / "d").read_bytes() == path.read_bytes()
    assert model.open_package(tmp_path / "o").read_bytes("w.bin") == b"w"
    (wrong,) = models_of([{**entry, "sha256": "0" * 64}])
    with pytest.raises(PackageError, match="does not match its sha256"):
        wrong.download(tmp_path / "e")
    assert not (tmp_path / "e" / "m.tar.gz").exists()
    assert [p.name for p in (tmp_path / "e").iterdir()] == []


def test_a_report_on_the_dev_platform_reads_its_model(webapi_user, tmp_path, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLES))
    train = importlib.import_module("train_classifier")
    report_module = importlib.import_module("test_report_classifier")
    api = webapi_user.api()
    model_kind = api.get_model_type(
        webapi_user.add_type("example classifier", train.SCHEMA.read_text())
    )
    report_kind = api.get_report_type(
        webapi_user.add_type("example report", report_module.SCHEMA.read_text(), kind="report")
    )
    model = api.create_model("to evaluate", model_kind, {"training": {"epochs": 3}})
    job = api.initialize_training(
        model, job_type=train.TrainClassifier, schema=model_kind.schema, job_dir=tmp_path / "t"
    )
    assert job.start()
    report = api.create_test_report(model, [], report_kind, {"filtering": {"sample_limit": 60}})
    run = api.initialize_report(
        report, job_type=report_module.ClassifierReport, schema=report_kind.schema,
        job_dir=tmp_path / "r",
    )  # fmt: skip
    (under_test,) = run.models
    assert under_test.id == model.id and under_test.name == "to evaluate"
    assert under_test.sha256 and under_test.model_path
    run.start()
    done = api.get_report(report.id)
    assert done.completed is not None
    names = {a.name for a in api.get_artifacts(done)}
    assert {"report.html", "per_class_metrics.json"} <= names
    state = webapi_user.server.state(report.id)
    assert state["output"]["output"]["test_images"] == 60
    assert "confusion_matrix" in state["charts"]


def test_a_model_in_object_storage_is_read_with_the_jobs_credentials(
    object_store, tmp_path
) -> None:
    from brevetti_job._storage import StaticCredentials, Storage
    from brevetti_job.devserver._objectstore import folder_grants

    bucket = object_store.bucket("data")
    archive = ModelPackage("m").add_bytes("w.bin", b"weights").save(tmp_path / "m.tar.gz")
    admin = object_store.client()
    admin.put_object(Bucket=bucket, Key="model1/artifacts/m.tar.gz", Body=archive.read_bytes())
    admin.put_object(Bucket=bucket, Key="model2/artifacts/m.tar.gz", Body=archive.read_bytes())
    report = object_store.identity(
        *folder_grants(bucket, "report1", write=True), *folder_grants(bucket, "model1", write=False)
    )
    storage = Storage(
        f"s3://{bucket}/report1", endpoint_url=object_store.endpoint, progress=False,
        credentials=StaticCredentials.from_keys(report.access_key, report.secret_key),
    )  # fmt: skip
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    given, other = models_of(
        [
            {"id": "model1", "bucket": f"s3://{bucket}/model1",
             "model_path": "artifacts/m.tar.gz", "sha256": sha},
            {"id": "model2", "bucket": f"s3://{bucket}/model2", "model_path": "artifacts/m.tar.gz"},
        ],
        storage,
    )  # fmt: skip
    assert given.open_package(tmp_path / "o").read_bytes("w.bin") == b"weights"
    from brevetti_job import StoragePermissionError

    with pytest.raises(StoragePermissionError, match=r"refused by the store \(403") as caught:
        other.download(tmp_path / "d")  # the store refuses: the report was not given model2
    assert report.secret_key not in str(caught.value)
    assert list((tmp_path / "d").iterdir()) == []


@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_a_damaged_archive_without_a_sha256_is_refused_and_nothing_is_extracted(
    tmp_path: Path, damage: str
) -> None:
    """No sha256 in the entry to check first: opening the package finds the damage, a
    clear `PackageError`, and leaves no half-extracted folder behind."""
    folder = tmp_path / "m1"
    weights = bytes(range(256)) * 4000  # enough that a cut lands inside a member
    path = ModelPackage("m").add_bytes("w.bin", weights).save(folder / "artifacts" / "m.tar.gz")
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    else:
        middle = len(data) // 2
        flipped = bytes(b ^ 0xFF for b in data[middle : middle + 64])
        path.write_bytes(data[:middle] + flipped + data[middle + 64 :])  # same length
    entry = {"id": "m1", "bucket": str(folder), "model_path": "artifacts/m.tar.gz"}
    (model,) = models_of([entry])
    with pytest.raises(PackageError) as caught:
        model.open_package(tmp_path / "opened")
    assert "Traceback" not in str(caught.value) and str(caught.value)
    assert not (tmp_path / "opened").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["m1"]
