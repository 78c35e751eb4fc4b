"""The dev server's pages as HTML: every value is escaped by MarkupSafe's `Markup.format`.

Only `Markup` made here is trusted; anything from the store (names, reasons, settings,
metrics, artifact names) enters through a format argument and is escaped. Chart specs go
to the page's script as JSON in a ``<script type="application/json">`` block, with ``<``,
``>`` and ``&`` written as JSON escapes so no text can close the block.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import quote

from markupsafe import Markup

from ._page_data import (
    JobSummary,
    JobView,
    html_artifacts,
    human_size,
    masked_settings,
    metric_columns,
    metric_rows,
    numeric_metrics,
    progress_chart,
    progress_table,
    settings_rows,
    value_text,
)
from ._page_package import package_section

__all__ = [
    "artifact_url",
    "job_list_page",
    "job_page",
    "login_page",
    "message_page",
]

VENDOR_SCRIPTS: Final = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")
"""The chart libraries, in load order (served from brevetti_schema's built assets)."""

_JSON_ESCAPES: Final = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}
_JSON_ESCAPES.update({0x2028: "\\u2028", 0x2029: "\\u2029"})


def job_url(job_id: str) -> str:
    """The model page of a job."""
    return f"/jobs/{quote(job_id, safe='')}"


def artifact_url(job_id: str, name: str, view: str = "artifacts") -> str:
    """Where a page downloads (``artifacts``) or shows (``view``) an artifact."""
    return f"{job_url(job_id)}/{view}/{quote(name, safe='/')}"


def _json_block(element_id: str, data: Any) -> Markup:
    text = json.dumps(data, ensure_ascii=False, allow_nan=False).translate(_JSON_ESCAPES)
    opening = Markup('<script type="application/json" id="{}">').format(element_id)
    # the JSON has no "<" left (escaped above), so it cannot end the script element early
    return opening + Markup(text) + Markup("</script>")  # noqa: S704


def _layout(
    title: str, body: Markup, *, signed_in: bool = True, scripts: Sequence[str] = ()
) -> str:
    nav = Markup(
        '<nav><a href="/jobs">Jobs</a><a href="/openapi.json">API (OpenAPI)</a>'
        '<form method="post" action="/logout"><button type="submit">Sign out</button></form></nav>'
    )
    tags = Markup("").join(Markup('<script src="{}"></script>').format(s) for s in scripts)
    return str(
        Markup(
            '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            "<title>{title} · brevetti-job dev platform</title>\n"
            '<link rel="stylesheet" href="/static/pages.css">\n{tags}</head>\n'
            '<body data-state="{state}">\n<header class="bar"><a class="brand" href="/jobs">'
            "brevetti-job dev platform</a>{nav}</header>\n<main>\n{body}</main>\n</body>\n</html>\n"
        ).format(
            title=title,
            tags=tags,
            state="loading" if scripts else "ready",
            nav=nav if signed_in else "",
            body=body,
        )
    )


def _badge(status: str) -> Markup:
    return Markup('<span class="badge status-{0}" data-testid="status">{0}</span>').format(status)


def _time(stamp: str | None) -> Markup:
    if not stamp:
        return Markup('<span class="none">–</span>')
    return Markup('<time datetime="{0}">{1}</time>').format(stamp, stamp.replace("T", " ")[:19])


def _table(
    head: Iterable[Any], rows: Iterable[Iterable[Any]], testid: str, cls: str = ""
) -> Markup:
    head_row = Markup("").join(Markup("<th>{}</th>").format(h) for h in head)
    body = Markup("").join(
        Markup("<tr>{}</tr>").format(Markup("").join(Markup("<td>{}</td>").format(c) for c in row))
        for row in rows
    )
    return Markup(
        '<table{cls} data-testid="{testid}"><thead><tr>{head}</tr></thead>'
        "<tbody>{body}</tbody></table>"
    ).format(
        cls=Markup(' class="{}"').format(cls) if cls else "",
        testid=testid,
        head=head_row,
        body=body,
    )


# -- the job list ---------------------------------------------------------------------------


def _job_row(job: JobSummary, columns: Sequence[str]) -> Markup:
    numbers = numeric_metrics(job.metrics)
    cells = Markup("").join(
        Markup('<td class="num" data-metric="{0}" data-sort="{1}">{2}</td>').format(
            name, repr(numbers[name]) if name in numbers else "", value_text(numbers[name])
        )
        if name in numbers
        else Markup('<td class="num none" data-metric="{0}" data-sort="">–</td>').format(name)
        for name in columns
    )
    reason = (
        Markup('<div class="reason" data-testid="reason" title="{0}">{1}</div>').format(
            job.reason, job.reason if len(job.reason) <= 160 else job.reason[:157] + "…"
        )
        if job.reason
        else ""
    )
    form = (
        Markup('<a href="{}/form/">settings form</a>').format(job_url(job.id))
        if job.has_schema
        else ""
    )
    return Markup(
        '<tr data-job-id="{id}" data-status="{status}">'
        '<td data-sort="{name}"><a class="job" href="{url}">{name}</a>'
        '<div class="id">{id}</div></td>'
        '<td data-sort="{kind}">{kind}</td><td data-sort="{status}">{badge}{reason}</td>{cells}'
        '<td data-sort="{created}">{created_t}</td><td data-sort="{ended}">{ended_t}</td>'
        '<td class="links"><a href="{url}">model page</a>{form}</td></tr>'
    ).format(
        id=job.id, status=job.status, name=job.name, url=job_url(job.id), kind=job.kind,
        badge=_badge(job.status), reason=reason, cells=cells, created=job.created_at or "",
        created_t=_time(job.created_at), ended=job.ended_at or "", ended_t=_time(job.ended_at),
        form=form,
    )  # fmt: skip


def job_list_page(jobs: Sequence[JobSummary]) -> str:
    """Every job with status, key metrics and times; click a column head to sort."""
    if not jobs:
        body = Markup(
            '<h1>Jobs</h1><p class="empty" data-testid="no-jobs">No jobs yet. Create one with '
            "<code>brevetti-job platform create --schema SCHEMA</code> and run it.</p>"
        )
        return _layout("Jobs", body)
    columns = metric_columns(jobs)
    head = Markup("").join(
        Markup('<th data-metric="{0}" class="num">{0}</th>').format(c) for c in columns
    )
    rows = Markup("").join(_job_row(job, columns) for job in jobs)
    body = Markup(
        '<h1>Jobs <span class="count">{count}</span></h1>'
        '<p class="hint">Newest first; the metric columns are the numeric metrics most jobs '
        "report. Click a column head to sort.</p>"
        '<table class="jobs sortable" data-testid="job-list"><thead><tr><th>Name</th>'
        "<th>Kind</th><th>Status</th>{head}<th>Created</th><th>Ended</th><th>Links</th></tr>"
        "</thead><tbody>{rows}</tbody></table>"
    ).format(count=len(jobs), head=head, rows=rows)
    return _layout("Jobs", body + Markup('<script src="/static/list.js"></script>'))


# -- the model page -------------------------------------------------------------------------


def _section(anchor: str, title: str, content: Markup, empty: str | None = None) -> Markup:
    inner = content if content else Markup('<p class="empty">{}</p>').format(empty or "None.")
    return Markup('<section id="{0}" data-testid="{0}"><h2>{1}</h2>{2}</section>').format(
        anchor, title, inner
    )


def _chart(index: int, title: str) -> Markup:
    return Markup(
        '<figure class="chart-box"><figcaption>{1}</figcaption>'
        '<div class="chart" data-chart="{0}" data-state="pending"></div></figure>'
    ).format(index, title)


def _checksum(artifact: Mapping[str, Any]) -> str:
    """The artifact's sha256 (sent to the job API) or its object store ETag."""
    return str(artifact.get("sha256") or artifact.get("etag") or "")


def _artifacts(view: JobView) -> Markup:
    job_id = view.summary.id
    rows = [
        (
            Markup('<a href="{0}" download data-artifact="{1}">{1}</a>').format(
                artifact_url(job_id, a["name"]), a["name"]
            ),
            Markup('<span data-bytes="{0}">{1}</span>').format(a["size"], human_size(a["size"])),
            Markup('<code title="{0}">{1}</code>').format(_checksum(a), _checksum(a)[:12]),
        )
        for a in view.artifacts
    ]
    head = ("Name", "Size", "sha256 / ETag")
    table = _table(head, rows, "artifact-table") if rows else Markup("")
    frames = Markup("").join(
        Markup(
            '<figure class="html-artifact"><figcaption>{1} '
            '<a href="{0}" target="_blank" rel="noopener noreferrer">open alone</a></figcaption>'
            '<iframe src="{0}" sandbox="allow-scripts" referrerpolicy="no-referrer" '
            'title="{1}" data-artifact="{1}"></iframe></figure>'
        ).format(artifact_url(job_id, name, "view"), name)
        for name in html_artifacts(view.artifacts)
    )
    return table + frames


def _settings(view: JobView) -> Markup:
    rows = settings_rows(view.settings, view.secrets)
    if not rows:
        return Markup("")
    shown = json.dumps(masked_settings(view.settings, view.secrets), indent=2, ensure_ascii=False)
    form = (
        Markup('<p><a href="{}/form/">Open the settings form of this job\'s schema</a></p>').format(
            job_url(view.summary.id)
        )
        if view.summary.has_schema
        else ""
    )
    return (
        Markup(
            '<p class="hint">As the job received them (transport form); secrets masked.</p>'
        )
        + form
        + _table(("Setting", "Value"), [(Markup("<code>{}</code>").format(p), v) for p, v in rows],
                 "settings-table")
        + Markup(
            '<details><summary>As JSON</summary><pre data-testid="settings-json">{}</pre></details>'
        ).format(shown)
    )  # fmt: skip


def job_page(view: JobView, assets_missing: str | None = None) -> str:
    """The model page: status, metrics, progress, charts, artifacts, settings."""
    job = view.summary
    specs: list[Any] = []
    progress = Markup("")
    chart = progress_chart(view.progress)
    if chart is not None:
        specs.append(chart)
        progress += _chart(0, "Progress per epoch")
    if view.progress:
        columns, rows = progress_table(view.progress)
        progress += Markup("<details{0}><summary>{1} records</summary>{2}</details>").format(
            Markup(" open") if len(rows) <= 20 else "",
            len(rows),
            _table(("epoch", *columns), rows, "progress-table", "num"),
        )
    charts = Markup("")
    for name, spec in view.charts.items():
        specs.append(spec)
        charts += _chart(len(specs) - 1, name)
    metrics = metric_rows(job.metrics)
    reason = (
        Markup('<p class="failure" data-testid="failure-reason">{}</p>').format(job.reason)
        if job.reason
        else ""
    )
    notice = (
        Markup(
            '<p class="notice" data-testid="assets-missing">Charts cannot be drawn: {}</p>'
        ).format(assets_missing)
        if assets_missing and specs
        else ""
    )
    body = Markup(
        '<div class="title"><h1 data-testid="job-name">{name}</h1>{badge}</div>'
        '<p class="meta">{kind} <code>{id}</code> · created {created} · ended {ended}'
        "{model}</p>{reason}{notice}"
        '<nav class="toc"><a href="#metrics">Metrics</a><a href="#progress">Progress</a>'
        '<a href="#charts">Charts</a><a href="#artifacts">Artifacts</a>{package_link}'
        '<a href="#settings">Settings</a></nav>'
        "{metrics}{progress}{charts}{artifacts}{package}{settings}{specs}"
    ).format(
        name=job.name, badge=_badge(job.status), kind=job.kind, id=job.id,
        created=_time(job.created_at), ended=_time(job.ended_at),
        model=Markup(" · model <code>{}</code>").format(view.model_path) if view.model_path else "",
        reason=reason, notice=notice,
        metrics=_section(
            "metrics", "Metrics",
            _table(("Metric", "Value"), metrics, "metric-table") if metrics else Markup(""),
            "No metrics reported.",
        ),
        progress=_section("progress", "Progress", progress, "No progress reported."),
        charts=_section("charts", "Charts", charts, "No charts uploaded."),
        artifacts=_section("artifacts", "Artifacts", _artifacts(view),
                           "No artifacts uploaded."),
        package_link=Markup('<a href="#package">Model package</a>') if view.package else "",
        package=_section("package", "Model package", package_section(view.package))
        if view.package else "",
        settings=_section("settings", "Settings", _settings(view), "No settings."),
        specs=_json_block("chart-specs", specs),
    )  # fmt: skip
    scripts = [f"/static/vendor/{name}" for name in VENDOR_SCRIPTS] if specs else []
    return _layout(job.name, body, scripts=[*scripts, "/static/job.js"])


# -- sign-in and messages --------------------------------------------------------------------


def login_page(next_path: str, failed: bool = False) -> str:
    """The sign-in form: the admin token, posted (never in a URL)."""
    error = (
        Markup('<p class="failure" data-testid="login-error">That is not the admin token.</p>')
        if failed
        else ""
    )
    body = Markup(
        '<h1>Sign in</h1><p class="hint">The pages show jobs, settings and artifacts, so they '
        "ask for the server's admin token: <code>brevetti-job serve</code> printed it when it "
        "made it, and it is saved in <code>admin-token</code> in the store folder.</p>{error}"
        '<form class="login" method="post" action="/login">'
        '<input type="hidden" name="next" value="{next}">'
        '<label>Admin token <input type="password" name="token" autocomplete="current-password" '
        'required autofocus data-testid="token"></label>'
        '<button type="submit" data-testid="sign-in">Sign in</button></form>'
    ).format(error=error, next=next_path)
    return _layout("Sign in", body, signed_in=False)


def message_page(title: str, message: str) -> str:
    """A page that only says something (not found, no schema, ...)."""
    body = Markup('<h1>{0}</h1><p data-testid="message">{1}</p><p><a href="/jobs">All jobs</a></p>')
    return _layout(title, body.format(title, message))
