"""The dev server's model page: over HTTP (access, headers, escaping) and in headless Chromium
(metrics, charts drawn by vega-embed, progress, downloads, the sandboxed HTML artifact)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import requests

from .conftest import FAILURE_REASON, WEBHOOK_TOKEN, PageJobs, sign_in


def _get(jobs: PageJobs, path: str, *, admin: bool = True, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {jobs.server.admin_token}"} if admin else {}
    headers.update(kwargs.pop("headers", {}))
    return requests.get(jobs.server.base_url + path, headers=headers, timeout=10, **kwargs)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- over HTTP -------------------------------------------------------------------------------


def test_pages_ask_to_sign_in_and_keep_no_token_in_urls(page_jobs):
    job_path = f"/jobs/{page_jobs.completed.id}"
    for path in (job_path, f"{job_path}/artifacts/history.json", f"{job_path}/form/", "/jobs"):
        answer = _get(page_jobs, path, admin=False, allow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["Location"].startswith("/login?next=%2F"), path
    assert _get(page_jobs, job_path, admin=False).url.endswith(
        f"/login?next=%2Fjobs%2F{page_jobs.completed.id}"
    )
    check = requests.post(page_jobs.server.base_url + f"{job_path}/form/check", json={}, timeout=10)
    assert check.status_code == 401
    # the job's own key opens no page
    assert _get(page_jobs, job_path, admin=False, headers=page_jobs.completed.headers,
                allow_redirects=False).status_code == 303  # fmt: skip


def test_signing_in_sets_a_strict_httponly_cookie_and_a_wrong_token_does_not(page_jobs):
    base = page_jobs.server.base_url
    wrong = requests.post(base + "/login", data={"token": "nope", "next": "/jobs"}, timeout=10,
                          allow_redirects=False)  # fmt: skip
    assert wrong.status_code == 401 and "Set-Cookie" not in wrong.headers
    assert "That is not the admin token" in wrong.text
    session = requests.Session()
    right = session.post(base + "/login", timeout=10, allow_redirects=False,
                         data={"token": page_jobs.server.admin_token, "next": "//evil.example/x"})  # fmt: skip
    assert right.status_code == 303 and right.headers["Location"] == "/jobs"  # no open redirect
    cookie = right.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert page_jobs.server.admin_token not in cookie
    assert session.get(base + f"/jobs/{page_jobs.completed.id}", timeout=10).status_code == 200
    out = session.post(base + "/logout", timeout=10, allow_redirects=False)
    assert out.status_code == 303
    assert session.get(base + "/jobs", timeout=10, allow_redirects=False).status_code == 303


def test_the_page_escapes_what_jobs_send_and_masks_secrets(page_jobs):
    failed = _get(page_jobs, f"/jobs/{page_jobs.failed.id}")
    assert failed.status_code == 200
    assert "<script>alert" not in failed.text and "<b>run</b>" not in failed.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more" in failed.text
    report = _get(page_jobs, f"/jobs/{page_jobs.report.id}")
    assert WEBHOOK_TOKEN not in report.text and "********" in report.text
    for job in (page_jobs.completed, page_jobs.failed, page_jobs.report):
        for path in (f"/jobs/{job.id}", "/jobs", f"/jobs/{job.id}/form/ui.json"):
            assert job.api_key not in _get(page_jobs, path).text


def test_pages_carry_a_content_security_policy(page_jobs):
    answer = _get(page_jobs, f"/jobs/{page_jobs.completed.id}")
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_a_download_is_an_attachment_with_its_sha256(page_jobs):
    data = page_jobs.artifacts["classifier.tar.gz"]
    answer = _get(page_jobs, f"/jobs/{page_jobs.completed.id}/artifacts/classifier.tar.gz")
    assert answer.status_code == 200 and answer.content == data
    assert answer.headers["X-Content-SHA256"] == _sha256(data)
    assert answer.headers["Content-Disposition"] == "attachment; filename=classifier.tar.gz"
    assert answer.headers["Content-Security-Policy"].startswith("sandbox")
    nested = _get(page_jobs, f"/jobs/{page_jobs.report.id}/artifacts/plots/inner.html")
    assert nested.content == page_jobs.report_files["plots/inner.html"]
    for missing in ("nothing.bin", "../job.json", "plots/../../job.json"):
        assert (
            _get(page_jobs, f"/jobs/{page_jobs.completed.id}/artifacts/{missing}").status_code
            == 404
        )


def test_html_artifacts_are_served_sandboxed_and_only_from_the_root(page_jobs):
    view = _get(page_jobs, f"/jobs/{page_jobs.report.id}/view/report.html")
    assert view.status_code == 200 and view.content == page_jobs.report_files["report.html"]
    policy = view.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox allow-scripts;") and "allow-same-origin" not in policy
    assert "connect-src" not in policy and "default-src 'none'" in policy
    for name in ("plots/inner.html", "plots%2Finner.html"):
        assert _get(page_jobs, f"/jobs/{page_jobs.report.id}/view/{name}").status_code == 404
    assert _get(page_jobs, f"/jobs/{page_jobs.completed.id}/view/history.json").status_code == 404


def test_unknown_jobs_and_schema_less_forms_are_404_pages(page_jobs):
    answer = _get(page_jobs, "/jobs/no-such-job")
    assert answer.status_code == 404 and answer.headers["Content-Type"].startswith("text/html")
    created = requests.post(page_jobs.server.base_url + "/api/admin/jobs", timeout=10,
                            json={"settings": {"a": 1}, "name": "no schema"},
                            headers={"Authorization": f"Bearer {page_jobs.server.admin_token}"})  # fmt: skip
    job_id = created.json()["id"]
    assert _get(page_jobs, f"/jobs/{job_id}/form/").status_code == 404
    page = _get(page_jobs, f"/jobs/{job_id}")
    assert page.status_code == 200 and "settings form" not in page.text


# -- in the browser --------------------------------------------------------------------------


def _open_job(page: Any, jobs: PageJobs, job: Any) -> None:
    page.goto(jobs.page_url(job))
    page.wait_for_selector("body[data-state=ready]", timeout=20_000)


def _table(page: Any, testid: str) -> list[list[str]]:
    rows = page.locator(f"[data-testid={testid}] tbody tr")
    return [
        [c.strip() for c in rows.nth(i).locator("td").all_inner_texts()]
        for i in range(rows.count())
    ]


def test_the_model_page_shows_metrics_charts_progress(
    page, signed_in, csp_violations, tmp_path: Path
):
    _open_job(page, signed_in, signed_in.completed)
    assert page.inner_text("[data-testid=job-name]") == "classifier quick"
    assert page.inner_text("[data-testid=status]") == "completed"
    metrics = {name: float(value) for name, value in _table(page, "metric-table")}
    local = json.loads((signed_in.job_dir / "artifacts" / "output.json").read_text())
    assert metrics == signed_in.state["output"]["output"] == local["output"]
    # every chart is drawn as SVG by vega-embed: the job's learning curve and the progress chart
    charts = page.locator(".chart[data-chart]")
    assert charts.count() == 2
    for i in range(charts.count()):
        assert charts.nth(i).get_attribute("data-state") == "rendered"
        assert charts.nth(i).locator("svg.marks").count() == 1
    assert page.locator("#charts figcaption").inner_text() == "learning_curve"
    curve = page.locator("#charts svg.marks")
    assert "Learning curve" in curve.text_content()
    assert page.locator("#progress svg.marks path").count() > 0
    progress = _table(page, "progress-table")  # what the job sent (at most one a second)
    sent = signed_in.state["progress"]
    assert sent and [row[0] for row in progress] == [str(r["epoch"]) for r in sent]
    assert [float(row[1]) for row in progress] == [r["loss"] for r in sent]
    page.screenshot(path=str(tmp_path / "model-page.png"), full_page=True)
    assert csp_violations == []


def test_every_artifact_downloads_in_the_browser_with_its_content(page, signed_in, tmp_path: Path):
    _open_job(page, signed_in, signed_in.completed)
    links = page.locator("[data-testid=artifact-table] a[data-artifact]")
    names = [links.nth(i).get_attribute("data-artifact") for i in range(links.count())]
    assert names == sorted(signed_in.artifacts)
    sizes = page.locator("[data-testid=artifact-table] [data-bytes]")
    assert [int(sizes.nth(i).get_attribute("data-bytes")) for i in range(sizes.count())] == [
        len(signed_in.artifacts[n]) for n in names
    ]
    _download_each(page, signed_in.artifacts, signed_in.completed, tmp_path)
    _open_job(page, signed_in, signed_in.report)
    _download_each(page, signed_in.report_files, signed_in.report, tmp_path)


def _download_each(page: Any, files: dict[str, bytes], job: Any, tmp_path: Path) -> None:
    for name in files:
        with page.expect_download() as info:
            page.click(f"[data-testid=artifact-table] a[data-artifact='{name}']")
        download = info.value
        saved = tmp_path / "downloads" / name.replace("/", "_")
        download.save_as(saved)
        assert _sha256(saved.read_bytes()) == _sha256(files[name]), name
        assert download.suggested_filename == name.rsplit("/", 1)[-1]
        assert job.api_key not in download.url


def test_an_html_artifact_runs_in_a_sandbox_that_cannot_reach_the_page(
    page, signed_in, csp_violations, tmp_path: Path
):
    _open_job(page, signed_in, signed_in.report)
    frames = page.locator("iframe[data-artifact]")
    assert frames.count() == 1  # report.html only: plots/inner.html is not at the root
    frame_element = frames.first
    assert frame_element.get_attribute("sandbox") == "allow-scripts"
    inner = page.frame_locator("iframe[data-artifact='report.html']")
    inner.locator("body[data-done=yes]").wait_for(timeout=10_000)
    results = {
        name: inner.locator(f"#{name}").inner_text()
        for name in ("script", "parent-document", "cookie", "storage", "fetch")
    }
    assert results["script"] == "allowed: ran"
    assert results["parent-document"] == "blocked: SecurityError"
    assert results["cookie"].startswith("blocked")  # an opaque origin has no cookies
    assert results["storage"].startswith("blocked")
    assert results["fetch"] == "blocked: TypeError"  # connect-src is 'none'
    frame_element.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "html-artifact.png"), full_page=True)
    # only the probe's own attempts were refused, never anything of the page itself
    assert csp_violations and all("/view/report.html" in v for v in csp_violations), csp_violations


def test_a_failed_job_shows_its_reason(page, signed_in, tmp_path: Path):
    _open_job(page, signed_in, signed_in.failed)
    assert page.inner_text("[data-testid=status]") == "failed"
    assert page.inner_text("[data-testid=failure-reason]") == FAILURE_REASON
    assert page.inner_text("[data-testid=job-name]") == "diverged <b>run</b>"
    assert page.locator("script:not([src]):not([type='application/json'])").count() == 0
    metrics = {name: float(value) for name, value in _table(page, "metric-table")}
    assert metrics == signed_in.failed_metrics
    assert page.locator("#progress svg.marks").count() == 1
    assert "No artifacts uploaded." in page.inner_text("[data-testid=artifacts]")
    page.screenshot(path=str(tmp_path / "failed-job.png"), full_page=True)


def test_settings_are_listed_with_secrets_masked(page, signed_in):
    _open_job(page, signed_in, signed_in.report)
    assert page.inner_text("[data-testid=status]") == "completed"
    settings = dict(_table(page, "settings-table"))
    assert settings["notification.webhook_token"] == "********"
    assert settings["notification.webhook_url"] == "https://hooks.example.com/x"
    assert settings["report.max_images"] == "50"
    assert WEBHOOK_TOKEN not in page.content()


def test_the_settings_form_of_a_job_is_the_preview_of_its_schema(page, signed_in, csp_violations):
    page.goto(signed_in.page_url(signed_in.completed, "/form"))  # redirected to .../form/
    page.wait_for_selector("body[data-state=ready]", timeout=15_000)
    assert re.search(r"/form/$", page.url)
    assert page.locator('[data-model="training.epochs"]').count() == 1
    page.select_option("[data-testid=preset-select]", "quick")
    page.click("[data-testid=check-button]")
    page.wait_for_selector("[data-testid=check-result][data-state=valid]", timeout=10_000)
    assert csp_violations == []


def test_signing_in_through_the_form_leads_back_to_the_page(browser_context, page_jobs):
    browser_context.clear_cookies()
    tab = browser_context.new_page()
    try:
        target = f"/jobs/{page_jobs.failed.id}"
        tab.goto(page_jobs.server.base_url + target)
        assert "/login?next=" in tab.url
        tab.fill("[data-testid=token]", "wrong token")
        tab.click("[data-testid=sign-in]")
        assert tab.inner_text("[data-testid=login-error]") == "That is not the admin token."
        sign_in(tab, page_jobs.server.base_url, page_jobs.server.admin_token, target)
        assert tab.inner_text("[data-testid=status]") == "failed"
    finally:
        tab.close()
