"""What intake promises about its boundaries: a pure domain, and no personal data in any published event."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from typing import get_args

import pytest
from pydantic import BaseModel

import services.intake
from services.intake.api.change_requests import MenteeChange
from services.intake.api.requests import MenteeApplication, MentorApplication
from shared.events import EVENT_REGISTRY
from shared.events.schemas import catalog_schemas
from shared.nace import NACE_SECTIONS, NaceSection

INTAKE = Path(services.intake.__file__).parent
DOMAIN_MODULES = (
    "commands", "eligibility", "decisions", "profile_decisions", "guards", "state", "errors", "training",
    "countries", "emails",
)
ALLOWED = ("pydantic", "shared.events", "shared.tenancy", "shared.nace", *(f"services.intake.{m}" for m in DOMAIN_MODULES))
PERSONAL_NAME = re.compile(r"name|e_?mail|phone|birth|nationality|address|occupation", re.IGNORECASE)


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", DOMAIN_MODULES)
def test_the_domain_imports_only_the_standard_library_pydantic_and_the_shared_catalog(module):
    for name in imported_modules(INTAKE / f"{module}.py"):
        top = name.split(".")[0]
        allowed = top in sys.stdlib_module_names or any(name == a or name.startswith(a + ".") for a in ALLOWED)
        assert allowed, f"services/intake/{module}.py imports {name}"


def test_no_catalog_event_carries_personal_data():
    for name, model in EVENT_REGISTRY.models().items():
        assert model.personal_fields == frozenset(), name
        for field in model.model_fields:
            assert not PERSONAL_NAME.search(field), f"{name}.{field} looks like personal data"


def personal_fields(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Dotted names of the fields marked personal, nested models included."""
    found = set()
    for name, info in model.model_fields.items():
        if (info.json_schema_extra or {}).get("personal"):
            found.add(prefix + name)
        for arg in (info.annotation, *get_args(info.annotation)):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                found |= personal_fields(arg, f"{prefix}{name}.")
    return found


def test_personal_fields_are_marked_in_the_request_models_and_absent_from_every_event():
    assert personal_fields(MenteeApplication) == {
        "first_name", "last_name", "email", "phone", "birth_date", "nationality",
        "parent_or_grandparent_born_outside_eu", "residence_permit", "job_target.occupation",
    }
    assert personal_fields(MentorApplication) == {"first_name", "last_name", "email", "phone", "birth_date"}
    assert personal_fields(MenteeChange) == {"job_target.occupation"}
    event_fields = {f for model in EVENT_REGISTRY.models().values() for f in model.model_fields}
    marked = {f.rsplit(".", 1)[-1] for f in personal_fields(MenteeApplication) | personal_fields(MentorApplication)}
    assert not marked & event_fields


def test_every_catalog_event_has_a_json_schema_with_its_type_and_version():
    schemas = catalog_schemas()
    assert set(schemas) == set(EVENT_REGISTRY.models())
    registered = schemas["MenteeRegistered"]
    assert registered["x-event-type"] == "MenteeRegistered" and registered["x-schema-version"] == 1
    assert "mentee_id" in registered["required"]
    assert set(schemas["MenteeApplicationRejected"]["properties"]) >= {"application_id", "failed_rules", "age_band"}


def test_the_nace_literal_and_the_section_titles_agree():
    assert tuple(NACE_SECTIONS) == get_args(NaceSection)
    assert NACE_SECTIONS["Q"] == "Human health and social work activities"
