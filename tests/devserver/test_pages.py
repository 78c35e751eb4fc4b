"""The pages' data and HTML helpers: metric columns, secret masking, escaping, sign-in rules."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brevetti_job.devserver._page_data import (
    SECRET_MASK,
    JobSummary,
    human_size,
    masked_settings,
    metric_columns,
    progress_chart,
    progress_table,
    secret_paths,
    settings_rows,
)
from brevetti_job.devserver._page_html import _json_block, job_list_page
from brevetti_job.devserver._page_session import PageSession, safe_next
from brevetti_schema import emit_platform_ui, load_schema

from ..conftest import REPO


def _job(metrics: dict[str, Any], name: str = "job") -> JobSummary:
    return JobSummary(
        id=name, kind="model", name=name, status="completed", reason=None,
        created_at=None, ended_at=None, metrics=metrics, has_schema=False,
    )  # fmt: skip


metric_maps = st.dictionaries(
    st.sampled_from(["acc", "f1", "loss", "auc", "iou", "map", "recall", "epochs", "note"]),
    st.one_of(st.floats(allow_nan=True), st.integers(), st.booleans(), st.text(max_size=3)),
    max_size=9,
)


def test_metric_columns_count_jobs_not_values():
    jobs = [_job({"big": 1000.0, "acc": 0.5}), _job({"acc": 0.7}), _job({"flag": True})]
    assert metric_columns(jobs) == ["acc", "big"]


@given(st.lists(metric_maps, max_size=6))
def test_metric_columns_are_the_most_reported_numeric_metrics(maps):
    jobs = [_job(m) for m in maps]
    columns = metric_columns(jobs)

    def count(name: str) -> int:
        return sum(
            isinstance(m.get(name), int | float)
            and not isinstance(m.get(name), bool)
            and m[name] == m[name]
            and abs(m[name]) != float("inf")
            for m in maps
        )

    everything = {name for m in maps for name in m if count(name)}
    assert len(columns) == min(6, len(everything)) and set(columns) <= everything
    for chosen in columns:
        for other in everything - set(columns):
            assert count(chosen) >= count(other)


def test_secrets_are_the_password_inputs_and_secret_looking_undeclared_keys():
    ui_json = emit_platform_ui(load_schema(REPO / "schema_examples" / "test_report.yaml"))
    assert secret_paths(ui_json) == {"notification.webhook_token"}
    assert secret_paths({"no": "fields"}) is None
    settings = {"notification": {"webhook_token": "abc", "webhook_url": "u"}, "empty": ""}
    rows = dict(settings_rows(settings, frozenset({"notification.webhook_token", "empty"})))
    assert rows == {"notification.webhook_token": SECRET_MASK,
                    "notification.webhook_url": "u", "empty": ""}  # fmt: skip
    masked = masked_settings(settings, frozenset({"notification.webhook_token"}))
    assert masked["notification"] == {"webhook_token": SECRET_MASK, "webhook_url": "u"}
    assert settings["notification"]["webhook_token"] == "abc"  # the input is not changed


def test_the_job_page_masks_undeclared_secret_names(tmp_path):
    from brevetti_job.devserver import Store
    from brevetti_job.devserver._page_data import job_view

    store = Store(tmp_path)
    made = store.create_job(settings={"api_key": "k-1", "deep": {"db_password": "p"}, "n": 1})
    view = job_view(store, made.id)
    assert view is not None
    assert dict(settings_rows(view.settings, view.secrets)) == {
        "api_key": SECRET_MASK, "deep.db_password": SECRET_MASK, "n": "1"
    }  # fmt: skip
    assert job_view(store, "no-such-job") is None


@given(st.recursive(st.text() | st.integers() | st.none(), lambda c: st.lists(c, max_size=3)))
def test_json_in_a_script_block_cannot_close_it_and_reads_back(data):
    block = str(_json_block("specs", data))
    inner = block[len('<script type="application/json" id="specs">') : -len("</script>")]
    assert "<" not in inner and ">" not in inner and "&" not in inner
    assert json.loads(inner) == data


def test_the_job_list_escapes_job_text():
    page = job_list_page([_job({"acc": 1}, name='<img src=x onerror="alert(1)">')])
    assert "<img" not in page and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/jobs/x?y=1", "/jobs/x?y=1"),
        ("/", "/"),
        ("//evil.example/", "/jobs"),
        ("/\\evil.example", "/jobs"),
        ("https://evil.example/", "/jobs"),
        ("jobs", "/jobs"),
        ("/a b", "/jobs"),
        (None, "/jobs"),
    ],
)
def test_sign_in_goes_back_only_to_a_path_of_this_server(target, expected):
    assert safe_next(target) == expected


def test_the_cookie_is_not_the_token_and_changes_with_it():
    one, two = PageSession("token-one"), PageSession("token-two")
    assert one.cookie != two.cookie and re.fullmatch(r"brevetti_devserver_[0-9a-f]{8}", one.cookie)
    assert one.token_matches("token-one") and not one.token_matches("token-two")


def test_progress_chart_and_table():
    records = [{"epoch": 1, "loss": 0.5, "time": 1.0, "tag": "a"}, {"loss": 0.4, "ok": True}]
    chart = progress_chart(records)
    assert chart is not None
    assert chart["data"]["values"] == [
        {"epoch": 1, "metric": "loss", "value": 0.5},
        {"epoch": 2, "metric": "loss", "value": 0.4},
    ]
    assert progress_table(records) == (
        ["loss", "tag", "ok"],
        [["1", "0.5", "a", ""], ["2", "0.4", "", "true"]],
    )
    assert progress_chart([{"epoch": 1, "note": "x"}]) is None


@pytest.mark.parametrize(
    ("size", "text"), [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 KiB"), (5 * 1024**3, "5.0 GiB")]
)
def test_human_size(size, text):
    assert human_size(size) == text
