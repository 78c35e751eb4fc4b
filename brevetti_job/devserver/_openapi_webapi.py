"""The web API's part of the OpenAPI document (`_webapi.py`'s routes), built from one table.

``python -m brevetti_job.devserver._openapi_webapi`` writes it into ``openapi.json``
(the job-side and admin parts there are kept as they are); a test checks the shipped
document holds exactly what `with_webapi` adds, and that the server answers as it says.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

__all__ = ["WEBAPI_TAG", "webapi_components", "webapi_paths", "with_webapi"]

WEBAPI_TAG: Final = "webapi"
_REF: Final = "#/components/"


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"{_REF}{kind}/{name}"}


def _json(schema: Mapping[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _obj(required: tuple[str, ...] = (), **properties: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


_S: Final = {"type": "string"}
_S_NULL: Final = {"type": ["string", "null"]}
_IDS: Final = {"type": "array", "items": {"type": "string"}}
_INT: Final = {"type": "integer"}
_BOOL: Final = {"type": "boolean"}

_SCHEMAS: Final[dict[str, Any]] = {
    "TokenAnswer": _obj(
        ("access_token", "token_type", "expires_in", "refresh_token"),
        access_token=_S,
        token_type={"type": "string", "enum": ["Bearer"]},
        expires_in=_INT,
        refresh_token=_S,
        scope=_S,
    ),
    "TokenGrant": _obj(
        ("grant_type",),
        grant_type={"type": "string", "description": "`password` or `refresh_token`"},
        username=_S,
        password=_S,
        scope=_S,
        organization_id=_S,
        client_id=_S,
        refresh_token=_S,
    ),
    "OAuthError": _obj(("error", "error_description"), error=_S, error_description=_S),
    "Organization": _obj(
        ("id", "name", "isPrimary"), id=_S, name=_S, isPrimary=_BOOL, isCurrent=_BOOL
    ),
    "UserInfo": _obj(("id", "username"), id=_S, username=_S, isAdmin=_BOOL),
    "ExpireTokens": _obj(username={"type": ["string", "null"]}),
    "Expired": _obj(("expired",), expired=_INT),
    "WebDataset": _obj(
        ("id", "name", "created", "bucket", "tagIds"),
        id=_S,
        name=_S,
        created=_S,
        bucket=_S,
        locked=_BOOL,
        reference=_S,
        notes=_S,
        tagIds=_IDS,
        tags={"type": "array"},
        organizationId=_S,
    ),
    "DatasetBody": _obj(
        ("name",), name=_S, locked=_BOOL, reference=_S_NULL, notes=_S_NULL, tagIds=_IDS
    ),
    "DatasetCreated": _obj(("datasetId",), datasetId=_S),
    "WebTag": _obj(
        ("id", "name", "children"),
        id=_S,
        name=_S,
        parentId=_S_NULL,
        created=_S,
        children={"type": "array"},
    ),
    "TagBody": _obj(("name",), name=_S, parentId=_S_NULL),
    "Project": _obj(
        ("id", "name", "applications"),
        id=_S,
        name=_S,
        description=_S,
        thumbnail=_S_NULL,
        created=_S,
        applications={"type": "array"},
        organizationId=_S,
    ),
    "ProjectBody": _obj(("name",), name=_S, description=_S_NULL, thumbnail=_S_NULL),
    "ModelType": _obj(
        ("id", "name", "settingsSchemaPath"),
        id=_S,
        name=_S,
        status=_INT,
        version=_INT,
        settingsSchemaPath=_S,
        settingsSchemaName=_S,
        organizationId=_S_NULL,
    ),
    "SettingsSchema": _obj(("fields",), fields={"type": "array"}),
    "Model": _obj(
        ("id", "name", "apiKey", "modelTypeId", "modelTypeStatus", "settings", "datasets"),
        id=_S,
        name=_S,
        apiKey={"type": "string", "description": "`<NO_API_KEY>` = none"},
        created=_S,
        started=_S_NULL,
        completed=_S_NULL,
        jobId=_S,
        modelTypeId=_S,
        modelTypeStatus=_INT,
        settings={"type": "string", "description": "JSON text"},
        datasets=_IDS,
        tagIds=_IDS,
        modelUrl=_S_NULL,
        version=_INT,
        organizationId=_S,
    ),
    "ModelCreate": _obj(
        ("name", "modelTypeId"),
        name=_S,
        modelTypeId=_S,
        settings={"description": "the settings as JSON text (or an object)"},
        datasetIds=_IDS,
        tagIds=_IDS,
    ),
    "Report": _obj(
        ("id", "name", "apiKey", "reportTypeId", "settings", "datasets", "models"),
        id=_S,
        name=_S,
        apiKey=_S,
        created=_S,
        started=_S_NULL,
        completed=_S_NULL,
        reportTypeId=_S,
        settings=_S,
        datasets=_IDS,
        models=_IDS,
        parentId=_S_NULL,
        organizationId=_S,
    ),
    "ReportCreate": _obj(
        ("name", "reportTypeId"),
        name=_S,
        reportTypeId=_S,
        parentId=_S_NULL,
        parentType=_S_NULL,
        settings={"description": "the settings as JSON text (or an object)"},
        datasetIds=_IDS,
        modelIds=_IDS,
        tagIds=_IDS,
        submitToCloud=_BOOL,
    ),
    "Created": _obj(("id",), id=_S),
    "WebArtifact": _obj(
        ("name", "isPrefix", "mimeType", "size", "link"),
        name=_S,
        isPrefix=_BOOL,
        mimeType=_S,
        size=_INT,
        link=_S_NULL,
        sha256=_S_NULL,
        lastModified=_S_NULL,
        tileSource=_S_NULL,
    ),
    "StorageInfo": _obj(("s3Endpoint", "dataBucket"), s3Endpoint=_S, dataBucket=_S),
}

_ERRORS: Final = {
    "400": _ref("responses", "BadRequest"),
    "401": _ref("responses", "Unauthorized"),
    "404": _ref("responses", "NotFound"),
    "503": _ref("responses", "Unavailable"),
}
_WRITE_ERRORS: Final = {
    **_ERRORS,
    "413": _ref("responses", "TooLarge"),
    "422": _ref("responses", "IdempotencyMismatch"),
}
_ID: Final = {"name": "id", "in": "path", "required": True, "schema": _S}
_ORG: Final = {
    "name": "org",
    "in": "path",
    "required": True,
    "schema": _S,
    "description": "An organisation id the user is a member of (else 403)",
}
_TYPE_KIND: Final = {
    "name": "kind",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "enum": ["modeltypes", "reporttypes"]},
}
_JOB_KIND: Final = _ref("parameters", "Kind")
_USER: Final[list[dict[str, list[str]]]] = [{"userToken": []}]


def _list(name: str) -> dict[str, Any]:
    return {"type": "array", "items": _ref("schemas", name)}


def _op(
    operation_id: str,
    summary: str,
    answer: Mapping[str, Any] | None,
    *,
    body: str | None = None,
    status: str = "200",
    errors: Mapping[str, Any] = _ERRORS,
    forbidden: bool = False,
    params: tuple[Mapping[str, Any], ...] = (),
) -> dict[str, Any]:
    responses: dict[str, Any] = {status: answer} if answer is not None else {}
    responses.update(errors)
    if forbidden:
        responses["403"] = _ref("responses", "Forbidden")
    operation: dict[str, Any] = {
        "tags": [WEBAPI_TAG],
        "operationId": operation_id,
        "summary": summary,
        "security": _USER,
        "responses": responses,
    }
    parameters = list(params)
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref("schemas", body)}},
        }
        parameters.append(_ref("parameters", "IdempotencyKey"))
        operation["responses"] = {**responses, **_WRITE_ERRORS}
    elif answer is not None and operation_id.startswith(("delete", "start", "stop")):
        parameters.append(_ref("parameters", "IdempotencyKey"))
        operation["responses"] = {**responses, **_WRITE_ERRORS}
    if parameters:
        operation["parameters"] = parameters
    return operation


def _one(name: str, description: str) -> dict[str, Any]:
    return _json(_ref("schemas", name), description)


def _many(name: str, description: str) -> dict[str, Any]:
    return _json(_list(name), description)


_DELETED: Final = _json(_ref("schemas", "Created"), "Deleted: its id")


def webapi_paths() -> dict[str, dict[str, Any]]:
    """The web API's paths."""
    org = (_ORG,)
    paths: dict[str, dict[str, Any]] = {
        "/connect/token": {
            "post": {
                "tags": [WEBAPI_TAG],
                "operationId": "token",
                "security": [],
                "summary": "OAuth2 password grant (HTTP Basic `generic_client:`) or refresh grant",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": _ref("schemas", "TokenGrant")
                        }
                    },
                },
                "responses": {
                    "200": _one("TokenAnswer", "A new access and refresh token"),
                    "400": _one("OAuthError", "Wrong password, unknown grant or refresh token"),
                    "401": _one("OAuthError", "Unknown client"),
                    "413": _ref("responses", "TooLarge"),
                    "503": _ref("responses", "Unavailable"),
                },
            },
        },
        "/api/account/organizations": {
            "get": _op("organizations", "The user's organisations", _many("Organization", "Ok"))
        },
        "/api/manage/index": {"get": _op("userInfo", "The user", _one("UserInfo", "Ok"))},
        "/api/admin/webapi/expire-tokens": {
            "post": {
                "tags": ["admin"],
                "operationId": "adminExpireTokens",
                "summary": "Make access tokens (of one user, or all) expired now (for tests)",
                "security": [{"adminToken": []}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("schemas", "ExpireTokens")}},
                },
                "responses": {
                    "200": _one("Expired", "How many were expired"),
                    "400": _ref("responses", "BadRequest"),
                    "401": _ref("responses", "Unauthorized"),
                    "413": _ref("responses", "TooLarge"),
                },
            }
        },
        "/api/data": {"get": _op("datasets", "The datasets", _many("WebDataset", "Ok"))},
        "/api/data/": {
            "post": _op(
                "createDataset",
                "Create a dataset",
                _one("DatasetCreated", "Created"),
                body="DatasetBody",
            )
        },
        "/api/data/{id}": {
            "parameters": [_ID],
            "get": _op("dataset", "A dataset", _one("WebDataset", "Ok")),
            "post": _op(
                "updateDataset",
                "Change a dataset",
                _one("WebDataset", "Changed"),
                body="DatasetBody",
            ),
            "delete": _op("deleteDataset", "Delete a dataset", _DELETED),
        },
        "/api/data/{id}/securitycredentials": {
            "parameters": [_ID],
            "get": _op(
                "datasetCredentials",
                "STS AssumeRole XML: read, list and write the dataset's folder",
                {"description": "Credentials", "content": {"application/xml": {"schema": _S}}},
                errors={**_ERRORS, "501": _ref("responses", "NotImplemented")},
            ),
        },
        "/api/devplatform/storage": {
            "get": _op(
                "storage",
                "The dev platform's object store (not a platform call)",
                _one("StorageInfo", "Ok"),
                errors={**_ERRORS, "501": _ref("responses", "NotImplemented")},
            )
        },
        "/api/orgs/{org}/data": {
            "get": _op(
                "orgDatasets",
                "An organisation's datasets",
                _many("WebDataset", "Ok"),
                forbidden=True,
                params=org,
            )
        },
        "/api/orgs/{org}/data/{id}": {
            "get": _op(
                "orgDataset",
                "A dataset of an organisation",
                _one("WebDataset", "Ok"),
                forbidden=True,
                params=(_ORG, _ID),
            )
        },
        "/api/resources/tags": {"get": _op("tags", "The root tags", _many("WebTag", "Ok"))},
        "/api/resources/tags/": {
            "post": _op("createTag", "Create a tag", _one("WebTag", "Created"), body="TagBody")
        },
        "/api/resources/tags/{id}": {
            "parameters": [_ID],
            "get": _op("tag", "A tag with its children", _one("WebTag", "Ok")),
            "post": _op("updateTag", "Change a tag", _one("WebTag", "Changed"), body="TagBody"),
            "delete": _op("deleteTag", "Delete a tag", _DELETED),
        },
        "/api/resources/projects": {"get": _op("projects", "The projects", _many("Project", "Ok"))},
        "/api/resources/projects/": {
            "post": _op(
                "createProject",
                "Create a project (the reference lists no create call)",
                _one("Project", "Created"),
                body="ProjectBody",
            )
        },
        "/api/resources/projects/{id}": {
            "parameters": [_ID],
            "get": _op("project", "A project", _one("Project", "Ok")),
            "post": _op(
                "updateProject", "Change a project", _one("Project", "Changed"), body="ProjectBody"
            ),
            "delete": _op("deleteProject", "Delete a project", _DELETED),
        },
        "/api/orgs/{org}/resources/projects": {
            "get": _op(
                "orgProjects",
                "An organisation's projects",
                _many("Project", "Ok"),
                forbidden=True,
                params=org,
            )
        },
        "/api/orgs/{org}/resources/projects/": {
            "post": _op(
                "orgCreateProject",
                "Create a project in an organisation",
                _one("Project", "Created"),
                body="ProjectBody",
                forbidden=True,
                params=org,
            )
        },
        "/api/orgs/{org}/resources/projects/{id}": {
            "get": _op(
                "orgProject",
                "A project of an organisation",
                _one("Project", "Ok"),
                forbidden=True,
                params=(_ORG, _ID),
            )
        },
        "/api/resources/{kind}/": {
            "parameters": [_TYPE_KIND],
            "get": _op("types", "The model (report) types", _many("ModelType", "Ok")),
        },
        "/api/resources/{kind}/{id}": {
            "parameters": [_TYPE_KIND, _ID],
            "get": _op("type", "A model (report) type", _one("ModelType", "Ok")),
            "delete": _op("deleteType", "Delete a type", _DELETED),
        },
        "/api/resources/{kind}/{id}/settings-schema.json": {
            "parameters": [_TYPE_KIND, _ID],
            "get": _op(
                "typeSchema",
                "The type's settings schema (its settingsSchemaPath)",
                _one("SettingsSchema", "Platform UI JSON"),
            ),
        },
        "/api/master/{kind}/": {
            "parameters": [_TYPE_KIND],
            "get": _op(
                "masterTypes", "The model (report) types, master mode", _many("ModelType", "Ok")
            ),
        },
        "/api/master/{kind}/{id}": {
            "parameters": [_TYPE_KIND, _ID],
            "get": _op("masterType", "A model (report) type, master mode", _one("ModelType", "Ok")),
        },
        "/api/master/{kind}/update": {
            "parameters": [_TYPE_KIND],
            "post": _op(
                "updateType",
                "Update a type (the whole object; its id, organisation and schema are kept)",
                _one("ModelType", "Updated"),
                body="ModelType",
            ),
        },
        "/api/models/availabletypes": {
            "get": _op("availableTypes", "The model types one may train", _many("ModelType", "Ok"))
        },
        "/api/models": {
            "get": _op("models", "The models", _many("Model", "Ok")),
            "post": _op(
                "createModel",
                "Create a model; its settings are checked against the type's "
                "schema first (400 with every problem, nothing created)",
                _one("Model", "Created"),
                body="ModelCreate",
            ),
        },
        "/api/reports": {
            "get": _op("reports", "The test reports", _many("Report", "Ok")),
            "post": _op(
                "createReport",
                "Create (with submitToCloud: start) a test report",
                _one("Created", "Created: its id"),
                body="ReportCreate",
            ),
        },
        "/api/{kind}/{id}": {
            "parameters": [_JOB_KIND, _ID],
            "get": _op(
                "job",
                "A model or a test report",
                _json({"anyOf": [_ref("schemas", "Model"), _ref("schemas", "Report")]}, "Ok"),
            ),
            "delete": _op("deleteJob", "Delete a model or a test report", _DELETED),
        },
        "/api/{kind}/{id}/artifacts": {
            "parameters": [_JOB_KIND, _ID],
            "get": _op(
                "artifacts",
                "One level of the job's artifacts under prefix; folders as isPrefix entries",
                _many("WebArtifact", "Ok"),
                params=(
                    {
                        "name": "prefix",
                        "in": "query",
                        "required": False,
                        "schema": _S,
                        "description": "The folder to list (not URL-encoded)",
                    },
                ),
            ),
        },
        "/api/models/{id}/start": {
            "parameters": [_ID],
            "post": _op(
                "startModel",
                "Start a training (submitToCloud=true|false)",
                _json(_S, "The URL of the job description"),
                params=(
                    {
                        "name": "submitToCloud",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["true", "false"]},
                    },
                ),
            ),
        },
        "/api/models/{id}/stop": {
            "parameters": [_ID],
            "post": _op("stopModel", "Stop a training", _one("Model", "Stopped")),
        },
    }
    return paths


def webapi_components() -> dict[str, Any]:
    """The schemas and the security scheme the web API's paths use."""
    return {
        "securitySchemes": {
            "userToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "A user's access token from POST /connect/token",
            }
        },
        "schemas": copy.deepcopy(_SCHEMAS),
    }


def with_webapi(document: Mapping[str, Any]) -> dict[str, Any]:
    """`document` (the job and admin API) with the web API added; idempotent."""
    merged = copy.deepcopy(dict(document))
    if not any(t.get("name") == WEBAPI_TAG for t in merged.get("tags", [])):
        merged.setdefault("tags", []).append(
            {
                "name": WEBAPI_TAG,
                "description": "The user side of the platform, with a "
                "user's access token (organisations separate what each user sees).",
            }
        )
    merged["paths"].update(webapi_paths())
    components = merged.setdefault("components", {})
    for section, entries in webapi_components().items():
        components.setdefault(section, {}).update(entries)
    return merged


def main(argv: list[str] | None = None) -> int:
    """Write the web API into ``openapi.json`` beside this module."""
    path = Path(__file__).with_name("openapi.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(with_webapi(document), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
