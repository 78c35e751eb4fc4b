"""The model page's "Model package" section, in headless Chromium: the manifest of the
archive a model completed with (assets with their sha256, metadata), or why it failed
its check."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import requests

from brevetti_job import ModelPackage

from .conftest import CLASSIFIER_SCHEMA, PageJobs


def _open(page: Any, jobs: PageJobs, job: Any) -> None:
    page.goto(jobs.page_url(job))
    page.wait_for_selector("body[data-state=ready]", timeout=20_000)


def _send(job: Any, method: str, path: str, **kwargs: Any) -> None:
    answer = requests.request(method, job.url + path, headers=job.headers, timeout=30, **kwargs)
    assert answer.status_code < 300, (method, path, answer.status_code, answer.text)


def test_a_completed_model_shows_its_package_manifest(page, signed_in) -> None:
    local = signed_in.job_dir / signed_in.state["model_path"]
    manifest = ModelPackage.verify(local)  # what the job wrote, checked here too
    _open(page, signed_in, signed_in.completed)
    section = page.locator("[data-testid=package]")
    assert section.is_visible()
    assert page.locator("nav.toc a[href='#package']").count() == 1
    assert (
        "every asset's sha256 checked"
        in section.locator("[data-testid=package-verified]").inner_text()
    )
    rows = section.locator("[data-testid=package-assets] tbody tr")
    shown = {
        rows.nth(i).get_attribute("data-asset"): [
            c.strip() for c in rows.nth(i).locator("td").all_inner_texts()
        ]
        for i in range(rows.count())
    }
    assert shown == {
        name: [name, entry["file"], entry["hash"].removeprefix("sha256:")]
        for name, entry in manifest["assets"].items()
    }
    assert all(len(values[2]) == 64 for values in shown.values())
    metadata = section.locator("[data-testid=package-metadata]")
    assert metadata.locator("tr[data-key=name] td").inner_text() == manifest["name"]
    assert (
        metadata.locator("tr[data-key=classes] td").inner_text()
        == '["' + '", "'.join(manifest["classes"]) + '"]'
    )
    assert metadata.locator("tr[data-key=environment]").count() == 1


def test_jobs_without_a_package_have_no_such_section(page, signed_in) -> None:
    for job in (signed_in.failed, signed_in.report, signed_in.waiting):
        _open(page, signed_in, job)
        assert page.locator("[data-testid=package]").count() == 0


def test_a_tampered_package_is_shown_as_failing_its_check(
    page, signed_in, object_store, tmp_path: Path
):
    original = signed_in.job_dir / signed_in.state["model_path"]
    tampered = io.BytesIO()
    with (
        tarfile.open(original, "r:gz") as source,
        tarfile.open(fileobj=tampered, mode="w:gz") as out,
    ):
        for member in source:
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name != "metadata.json":
                data = data[::-1] + b"changed"
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    job = signed_in.server.create_job(CLASSIFIER_SCHEMA, name="tampered package")
    bucket = job.data_bucket.removeprefix("s3://")  # where the job writes, as a job would
    key = f"{job.id}/artifacts/tampered.tar.gz"
    object_store.client().put_object(Bucket=bucket, Key=key, Body=tampered.getvalue())
    _send(job, "POST", "/complete", params={"modelPath": "artifacts/tampered.tar.gz"})
    _open(page, signed_in, job)
    problem = page.locator("[data-testid=package] [data-testid=package-problem]")
    assert "tampered.tar.gz" in problem.inner_text() and "sha256" in problem.inner_text()
    assert page.locator("[data-testid=package-assets]").count() == 0
