"""What intake promises about personal data: marked in its request bodies, absent from every published event.

The purity of its domain is checked for every service in test_boundaries.py."""

from __future__ import annotations

import re
from typing import get_args

from pydantic import BaseModel

from services.intake.api.bodies import MenteeApplication, MenteeChange, MentorApplication
from shared.events import EVENT_REGISTRY
from shared.events.schemas import catalog_schemas
from shared.nace import NACE_SECTIONS, NaceSection

PERSONAL_NAME = re.compile(r"name|e_?mail|phone|birth|nationality|address|occupation", re.IGNORECASE)


def test_no_catalog_event_carries_personal_data():
    for name, model in EVENT_REGISTRY.models().items():
        for field in model.model_fields:
            assert not PERSONAL_NAME.search(field), f"{name}.{field} looks like personal data"


def personal_fields(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Dotted names of the fields marked personal, nested models included."""
    found = set()
    for name, info in model.model_fields.items():
        if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("personal"):
            found.add(prefix + name)
        for arg in (info.annotation, *get_args(info.annotation)):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                found |= personal_fields(arg, f"{prefix}{name}.")
    return found


def test_personal_fields_are_marked_in_the_request_models_and_absent_from_every_event():
    assert personal_fields(MenteeApplication) == {
        "first_name",
        "last_name",
        "email",
        "phone",
        "birth_date",
        "nationalities",
        "stateless",
        "nationality",
        "parent_or_grandparent_born_outside_eu",
        "residence_permit",
        "job_target.occupation",
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
