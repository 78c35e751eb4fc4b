"""The dev server's job list: every job with status, key metrics and times, to compare runs."""

from __future__ import annotations

from pathlib import Path

import requests

from .conftest import FAILURE_REASON, PageJobs


def _cells(page, job) -> dict[str, str]:
    row = page.locator(f"tr[data-job-id='{job.id}']")
    cells = row.locator("td[data-metric]")
    return {
        cells.nth(i).get_attribute("data-metric"): cells.nth(i).inner_text()
        for i in range(cells.count())
    }


def _open_list(page, jobs: PageJobs, path: str = "/jobs") -> None:
    page.goto(jobs.server.base_url + path)
    page.wait_for_selector("[data-testid=job-list]")


def test_json_clients_keep_the_index_and_browsers_get_the_list(page_jobs):
    base = page_jobs.server.base_url
    index = requests.get(base + "/", timeout=10)
    assert index.headers["Content-Type"] == "application/json"
    assert index.json()["openapi"] == "/openapi.json"
    browser = requests.get(base + "/", timeout=10, allow_redirects=False,
                           headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})  # fmt: skip
    assert browser.status_code == 303 and browser.headers["Location"].startswith("/login")
    signed = requests.get(base + "/", timeout=10, headers={
        "Accept": "text/html", "Authorization": f"Bearer {page_jobs.server.admin_token}"})  # fmt: skip
    assert signed.headers["Content-Type"].startswith("text/html")
    assert 'data-testid="job-list"' in signed.text


def test_the_list_shows_every_job_with_status_and_metrics(page, signed_in, tmp_path: Path):
    _open_list(page, signed_in, "/")
    rows = page.locator("[data-testid=job-list] tbody tr")
    ids = {rows.nth(i).get_attribute("data-job-id") for i in range(rows.count())}
    jobs = (signed_in.completed, signed_in.failed, signed_in.report, signed_in.waiting)
    assert {job.id for job in jobs} <= ids
    status = [
        page.locator(f"tr[data-job-id='{job.id}'] [data-testid=status]").inner_text()
        for job in jobs
    ]
    assert status == ["completed", "failed", "completed", "created"]
    reason = page.locator(f"tr[data-job-id='{signed_in.failed.id}'] [data-testid=reason]")
    assert reason.inner_text() == FAILURE_REASON
    # metric columns: the numeric metrics most jobs report, up to six
    heads = page.locator("[data-testid=job-list] thead th[data-metric]")
    columns = [heads.nth(i).get_attribute("data-metric") for i in range(heads.count())]
    assert columns[0] == "accuracy"  # in three jobs
    assert set(columns[1:3]) == {"epochs_trained", "final_loss"}  # in two
    assert set(columns[3:]) == {"f1", "auc"}  # in one
    completed = _cells(page, signed_in.completed)
    for name, value in signed_in.state["output"]["output"].items():
        assert float(completed[name]) == value
    failed = _cells(page, signed_in.failed)
    assert failed["f1"] == "–" and float(failed["accuracy"]) == 0.41
    assert float(_cells(page, signed_in.report)["auc"]) == 0.95
    assert set(_cells(page, signed_in.waiting).values()) == {"–"}
    times = page.locator(f"tr[data-job-id='{signed_in.completed.id}'] time")
    assert times.count() == 2  # created and ended
    page.screenshot(path=str(tmp_path / "job-list.png"), full_page=True)


def test_a_metric_column_sorts_the_runs(page, signed_in):
    _open_list(page, signed_in)
    page.click("[data-testid=job-list] thead th[data-metric=accuracy]")
    rows = page.locator("[data-testid=job-list] tbody tr")
    order = [rows.nth(i).get_attribute("data-job-id") for i in range(rows.count())]
    jobs = [signed_in.failed.id, signed_in.completed.id, signed_in.report.id]  # 0.41 < 0.78 < 0.9
    assert [i for i in order if i in jobs] == jobs
    assert order.index(signed_in.waiting.id) > order.index(signed_in.report.id)  # empty: last
    page.click("[data-testid=job-list] thead th[data-metric=accuracy]")
    order = [rows.nth(i).get_attribute("data-job-id") for i in range(rows.count())]
    assert [i for i in order if i in jobs] == jobs[::-1]
    assert order.index(signed_in.waiting.id) > order.index(signed_in.failed.id)  # still last


def test_links_lead_to_the_model_page_and_the_settings_form(page, signed_in):
    _open_list(page, signed_in)
    row = page.locator(f"tr[data-job-id='{signed_in.completed.id}']")
    row.locator("a.job").click()
    page.wait_for_selector("body[data-state=ready]", timeout=20_000)
    assert page.url == signed_in.page_url(signed_in.completed)
    assert page.inner_text("[data-testid=job-name]") == "classifier quick"
    _open_list(page, signed_in)
    page.locator(f"tr[data-job-id='{signed_in.report.id}'] a", has_text="settings form").click()
    page.wait_for_selector("body[data-state=ready]", timeout=15_000)
    assert page.url == signed_in.page_url(signed_in.report, "/form/")
    assert page.inner_text("[data-testid=title]") == "Test report"
