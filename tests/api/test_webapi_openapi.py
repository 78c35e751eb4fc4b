"""The web API's part of the OpenAPI document: shipped up to date, and kept by the server.

schemathesis generates requests for every web API operation (with a user's access
token, on random ids and on records that exist) and checks that no answer is a 5xx
and every answer conforms to the document: status codes, content types, headers, bodies.
"""

from __future__ import annotations

import re
import uuid
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
from brevetti_job.devserver._openapi_webapi import WEBAPI_TAG, webapi_paths, with_webapi
from tests.conftest import WebApiUser

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_the_shipped_document_holds_the_web_api_as_built() -> None:
    """``python -m brevetti_job.devserver._openapi_webapi`` was run after the last change."""
    document = openapi_document()
    assert with_webapi(document) == document
    for path, item in webapi_paths().items():
        for method, operation in item.items():
            if method != "parameters":
                assert document["paths"][path][method] == operation, (method, path)


def _operations() -> Iterator[APIOperation[Any, Any, Any, Any]]:
    schema = schemathesis.openapi.from_dict(openapi_document())
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        raw = operation.definition.raw
        if WEBAPI_TAG in (raw.get("tags") or []) or {"userToken": []} in raw.get("security", []):
            yield operation  # the web API's, and the job API's that answer a user's token too


def test_every_web_api_route_is_an_operation_of_the_document(devserver) -> None:
    routes = set()
    for rule in devserver.app.webapi.url_map.iter_rules():
        path = re.sub(r"<any\([^)]*\):segment>", "{kind}", rule.rule)
        path = re.sub(r"<(?:ident|org)>", lambda m: "{id}" if "ident" in m[0] else "{org}", path)
        routes |= {(m, path) for m in rule.methods or () if m not in ("HEAD", "OPTIONS")}
    documented = {(op.method.upper(), op.path) for op in _operations()}
    admin = {("POST", "/api/admin/webapi/expire-tokens")}
    assert documented | admin == routes


def _records(server: Any) -> tuple[WebApiUser, dict[str, str]]:
    """A user with one record of each kind on `server`; their ids by path parameter."""
    from brevetti_job.devserver._users import add_user

    name, password = f"oas-{uuid.uuid4().hex[:10]}@example.com", f"pw-{uuid.uuid4().hex}"
    add_user(server.app.webapi.records, name, password)
    user = WebApiUser(server, name, password, server.root / "tokens")
    api = user.api()
    type_id = user.add_type("oas type")
    user.add_type("oas report type", kind="report")
    dataset = api.create_dataset("oas data")
    tag = api.create_tag("oas tag")
    project = api.create_project("oas project")
    model = api.create_model("oas model", type_id, {}, datasets=[dataset])
    org = api.get_organizations()[0].id
    return user, {
        "type": type_id, "dataset": dataset.id, "tag": tag.id, "project": project.id,
        "model": model.id, "org": org, "token": api._session.access_token or "",
    }  # fmt: skip


def _known(path: str, ids: dict[str, str]) -> dict[str, str]:
    """Path parameters naming records that exist, for `path`."""
    if path.startswith("/api/resources/{kind}"):
        return {"kind": "modeltypes", "id": ids["type"]}
    if path.startswith("/api/{kind}"):
        return {"kind": "models", "id": ids["model"]}
    for prefix, key in (
        ("/api/data", "dataset"), ("/api/orgs/{org}/data", "dataset"),
        ("/api/resources/tags", "tag"), ("/api/resources/projects", "project"),
        ("/api/orgs/{org}/resources/projects", "project"), ("/api/models", "model"),
    ):  # fmt: skip
        if path.startswith(prefix):
            known = {"id": ids[key]}
            break
    else:
        known = {}
    if "{org}" in path:
        known["org"] = ids["org"]
    return {k: v for k, v in known.items() if "{" + k + "}" in path}


@pytest.mark.parametrize(
    "operation", list(_operations()), ids=lambda op: f"{op.method.upper()} {op.path}"
)
def test_the_web_api_conforms_to_the_document(start_devserver, operation) -> None:
    server = start_devserver()  # its own: generated writes and deletions reach no other test
    _, ids = _records(server)
    cases = operation.as_strategy()
    known = _known(operation.path, ids)
    if known:
        cases = st.one_of(cases, operation.as_strategy(path_parameters=known))
    headers = {"Authorization": f"Bearer {ids['token']}"}
    session = requests.Session()

    @settings(
        max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(cases)
    def check(case: Any) -> None:
        response = case.call(base_url=server.base_url, session=session, headers=headers)
        case.validate_response(response, checks=CHECKS)

    with session:
        check()
