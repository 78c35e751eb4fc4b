"""The OpenAPI document: it describes exactly the server's routes, and the server keeps to it.

schemathesis generates requests from the document for every job-side operation (each
against a fresh job, with the job's key) and checks that no answer is a 5xx and every
answer conforms to the document: status codes, content types, headers and bodies.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from brevetti_job.devserver import openapi_document

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

_PLACEHOLDERS = {
    "segment": "kind", "job_id": "id", "dataset_id": "id", "name": "name", "ident": "id",
    "org": "org",
}  # fmt: skip


def _route_methods(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<any\([^)]*\):segment>", "{kind}", rule.rule)
        path = re.sub(
            r"<(?:[^:>]+:)?([^>]+)>", lambda m: "{" + _PLACEHOLDERS[m.group(1)] + "}", path
        )
        for method in rule.methods or ():
            if method not in ("HEAD", "OPTIONS"):
                found.add((path, method.lower()))
    return found


def test_the_document_describes_every_route_and_nothing_else(devserver):
    document = openapi_document()
    documented = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters" and method != "head"
    }
    assert documented == _route_methods(devserver.app) | _route_methods(devserver.app.webapi)


def test_the_served_document_is_the_shipped_one(devserver):
    served = requests.get(devserver.base_url + "/openapi.json", timeout=5).json()
    assert served == openapi_document()


def test_schemathesis_accepts_the_document():
    schema = schemathesis.openapi.from_dict(openapi_document())
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert {op.method.upper() + " " + op.path for op in operations} >= {
        "GET /api/{kind}/{id}",
        "GET /api/models/{id}/securitycredentials",
        "POST /api/{kind}/{id}/complete",
    }


def _job_operations() -> Iterator[APIOperation[Any, Any, Any, Any]]:
    schema = schemathesis.openapi.from_dict(openapi_document())
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        if "job" in (operation.definition.raw.get("tags") or []):  # the platform's job calls
            yield operation


@pytest.mark.parametrize(
    "operation", list(_job_operations()), ids=lambda op: f"{op.method.upper()} {op.path}"
)
@pytest.mark.parametrize("kind", ["model", "report"])
def test_the_server_conforms_to_the_document(devserver, operation, kind):
    job = devserver.create_job(kind=kind)
    segment = "models" if kind == "model" else "reports"
    path = {"kind": segment, "id": job.id} if "{kind}" in operation.path else {"id": job.id}
    if "{id}" not in operation.path:
        path = {}
    cases = operation.as_strategy(path_parameters=path)
    session = requests.Session()

    @settings(
        max_examples=12,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(cases)
    def check(case):
        response = case.call(base_url=devserver.base_url, session=session, headers=job.headers)
        case.validate_response(response, checks=CHECKS)

    with session:
        check()


def _admin_operations() -> Iterator[APIOperation[Any, Any, Any, Any]]:
    schema = schemathesis.openapi.from_dict(openapi_document())
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        if operation.path.startswith("/api/admin/") or operation.path in ("/", "/openapi.json"):
            yield operation


@pytest.mark.parametrize(
    "operation", list(_admin_operations()), ids=lambda op: f"{op.method.upper()} {op.path}"
)
def test_the_admin_api_conforms_to_the_document(start_devserver, operation):
    server = start_devserver()  # its own: generated fault settings must not reach others
    job = server.create_job()
    cases = operation.as_strategy()
    if "{id}" in operation.path:
        cases = st.one_of(cases, operation.as_strategy(path_parameters={"id": job.id}))
    session = requests.Session()

    @settings(
        max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(cases)
    def check(case):
        response = case.call(
            base_url=server.base_url, session=session, headers=server.admin_headers
        )
        case.validate_response(response, checks=CHECKS)

    with session:
        check()
