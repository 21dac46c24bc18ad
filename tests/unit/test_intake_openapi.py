"""The OpenAPI document shows an example of every intake request body and of every answer it documents."""

from __future__ import annotations

import httpx
import pytest

from services.intake.app import create_app
from shared.config import ServiceSettings


@pytest.fixture
async def document() -> dict:
    # No lifespan: serving /openapi.json touches neither the database nor the broker.
    app = create_app(
        ServiceSettings(
            service="intake", database_url="postgresql://unused/none", kafka_bootstrap_servers="unused:9092"
        )
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def intake_operations(document: dict) -> list[tuple[str, str, dict]]:
    return [
        (method.upper(), path, op)
        for path, ops in document["paths"].items()
        if path.startswith(("/mentees", "/mentors"))
        for method, op in ops.items()
    ]


def has_example(media: dict) -> bool:
    return bool(media.get("example") is not None or media.get("examples"))


def test_every_intake_operation_has_examples_for_its_body_and_its_answers(document):
    operations = intake_operations(document)
    assert len(operations) == 21  # with the information session, the interview, two rejoins, employment, the
    # target group (recorded, consent withdrawn) and a training day's modules at once
    for method, path, op in operations:
        if "requestBody" in op:
            assert has_example(op["requestBody"]["content"]["application/json"]), (method, path, "body")
        codes = [code for code in op["responses"] if code[0] in "24"]
        assert any(c.startswith("2") for c in codes) and "422" in codes, (method, path, codes)
        for code in codes:
            assert has_example(op["responses"][code]["content"]["application/json"]), (method, path, code)


def test_registration_bodies_show_an_eligible_an_ineligible_and_a_duplicate_application(document):
    for path in ("/mentees", "/mentors"):
        examples = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["examples"]
        assert {"eligible", "ineligible", "duplicate"} <= set(examples), path


def test_every_intake_operation_requires_a_bearer_token_and_names_its_roles(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["HTTPBearer"]["description"],
    }
    for method, path, op in intake_operations(document):
        assert op["security"] == [{"HTTPBearer": []}], (method, path)
        assert op["x-roles"] == (["branch_admin"] if path.endswith("/erasure") else ["coordinator"]), (method, path)
    assert document["paths"]["/access-log"]["get"]["x-roles"] == ["branch_admin"]


def test_the_description_says_the_branch_comes_from_the_token_not_from_x_tenant(document):
    description = document["info"]["description"]
    assert "bearer token" in description and "X-Tenant" not in description, description
