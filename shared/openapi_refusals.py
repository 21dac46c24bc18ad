"""Every refusal a route can answer, documented in its OpenAPI operation in the one 4xx shape (ErrorBody).

FastAPI documents only what a route declares, and its own 422 shape (HTTPValidationError)
is not the platform's. This rewrites the generated document once: each operation gets the
refusals the platform's shared layers can give it (401/403/421 for a token, 404 for a path id,
409/413/415 for a body, 410 for an Idempotency-Key, 422 for any input), each with an example,
so a client and a schema-driven test read the same contract the code keeps.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from shared.commanding.http import ErrorBody

_REF = {"$ref": "#/components/schemas/ErrorBody"}


def _example(detail: str, field: str, rule: str, message: str) -> dict[str, Any]:
    return {
        "summary": detail,
        "value": {"detail": detail, "errors": [{"field": field, "rule": rule, "message": message}]},
    }


GENERIC: dict[str, tuple[str, dict[str, Any]]] = {
    "400": (
        "a header given more than once",
        _example(
            "invalid request: X-Tenant must be given at most once",
            "X-Tenant",
            "single_header",
            "X-Tenant must be given at most once",
        ),
    ),
    "401": (
        "no valid bearer token",
        _example(
            "not authenticated: the token has expired", "Authorization", "valid_bearer_token", "the token has expired"
        ),
    ),
    "403": (
        "the token's role, branch or offices do not allow this",
        _example(
            "forbidden: this needs the role coordinator; the token's role is funder",
            "role",
            "allowed_role",
            "this needs the role coordinator; the token's role is funder",
        ),
    ),
    "421": (
        "the token's branch is hosted by another region: send the request there",
        _example(
            "misdirected: branch FR is not hosted by region west; region fr hosts it",
            "Authorization",
            "branch_hosted_here",
            "branch FR is not hosted by region west; region fr hosts it",
        ),
    ),
    "404": (
        "no such record in the caller's branch (or offices)",
        _example(
            "no record with this id in this country branch",
            "id",
            "known_id",
            "no record with this id in this country branch",
        ),
    ),
    "409": (
        "a conflict with the record's current state",
        _example(
            "concurrent change: the change was based on version 1; the current version is 2; reload and retry",
            "If-Match",
            "current_version",
            "the change was based on version 1; the current version is 2",
        ),
    ),
    "410": (
        "the person this request was about has been erased",
        _example(
            "the person this request was about has been erased",
            "Idempotency-Key",
            "person_erased",
            "the person this request was about has been erased",
        ),
    ),
    "413": (
        "the body is larger than 64 KiB",
        _example(
            "request body too large: body: must be at most 65536 bytes",
            "body",
            "max_body_size",
            "must be at most 65536 bytes",
        ),
    ),
    "415": (
        "the body is not JSON",
        _example(
            "unsupported media type: Content-Type: must be application/json",
            "Content-Type",
            "json_content_type",
            "must be application/json",
        ),
    ),
    "422": (
        "invalid input: every broken rule is listed with its field",
        _example(
            "invalid request: X-Correlation-Id: must be a UUID", "X-Correlation-Id", "uuid_format", "must be a UUID"
        ),
    ),
}


def _refusals(path: str, method: str, op: dict[str, Any]) -> list[str]:
    codes = ["422"]
    if op.get("security"):
        codes += ["400", "401", "403", "421"]
    if "{" in path:
        codes.append("404")
    if method in ("post", "put", "patch"):
        codes += ["409", "413", "415"]
    if any(p.get("name") == "Idempotency-Key" for p in op.get("parameters", [])):
        codes.append("410")
    return codes


def document_refusals(app: FastAPI) -> None:
    """Make `app.openapi()` declare every refusal of every operation in the ErrorBody shape."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = generate()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for name, schema in (
            ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs", {}).items()
        ):
            schemas.setdefault(name, schema)
        schemas["ErrorBody"] = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas["ErrorBody"].pop("$defs", None)
        for path, operations in document.get("paths", {}).items():
            for method, op in operations.items():
                responses = op.setdefault("responses", {})
                declared = [c for c in responses if c.startswith("4") and c in GENERIC]
                for code in dict.fromkeys(_refusals(path, method, op) + declared):
                    description, example = GENERIC[code]
                    answer = responses.setdefault(code, {"description": description})
                    content = answer.setdefault("content", {}).setdefault("application/json", {})
                    content["schema"] = _REF
                    if "example" not in content and "examples" not in content:
                        content["examples"] = {"example": example}
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
