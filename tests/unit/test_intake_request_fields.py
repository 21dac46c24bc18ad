"""Request fields refuse what would be a 500 or a silent duplicate later: control characters, odd codes, e-mails."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.intake.api.bodies import MenteeApplication, MenteeChange, MentorApplication, MentorChange
from services.intake.api.examples import MENTEE_EXAMPLE, MENTOR_EXAMPLE
from services.intake.domain.emails import normalize_email
from shared.commanding.errors import InvalidField
from shared.commanding.http import expected_version


def refusal(model, body: dict) -> list[tuple[str, str, str]]:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(body)
    return [(".".join(map(str, e["loc"])), e["type"], e["msg"]) for e in refused.value.errors()]


@pytest.mark.parametrize("bad", ["\u0000", "\n", "\t", "\x1b", "\x7f", "\x85"])
@pytest.mark.parametrize("field", ["first_name", "last_name", "email", "phone"])
def test_control_characters_are_refused_in_names_and_contact_details(field, bad):
    value = {
        "first_name": "Am{}ina",
        "last_name": "El{}Idrissi",
        "email": "ami{}na@example.org",
        "phone": "+32 470{}12 34 56",
    }[field].format(bad)
    [(loc, rule, message)] = refusal(MenteeApplication, MENTEE_EXAMPLE | {field: value})
    assert (loc, rule) == (field, "no_control_characters") and "control characters" in message


def test_control_characters_are_refused_in_the_occupation_of_an_application_and_a_change():
    target = {"sector": "Q", "occupation": "nurse\u0000assistant"}
    assert [r[:2] for r in refusal(MenteeApplication, MENTEE_EXAMPLE | {"job_target": target})] == [
        ("job_target.occupation", "no_control_characters")
    ]
    assert [r[:2] for r in refusal(MenteeChange, {"job_target": target})] == [
        ("job_target.occupation", "no_control_characters")
    ]


def test_an_occupation_is_trimmed_and_cannot_be_blank():
    change = MenteeChange.model_validate({"job_target": {"sector": "Q", "occupation": "  cook  "}})
    assert change.job_target.occupation == "cook"
    assert [r[:2] for r in refusal(MenteeChange, {"job_target": {"sector": "Q", "occupation": "   "}})] == [
        ("job_target.occupation", "string_too_short")
    ]


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (MenteeChange, {"languages": None}),
        (MenteeChange, {"job_target": None}),
        (MenteeChange, {"availability": None}),
        (MentorChange, {"capacity": None}),
        (MentorChange, {"experience": None}),
    ],
)
def test_null_is_not_a_change(model, body):
    [(loc, rule, message)] = refusal(model, body)
    assert (loc, rule) == (next(iter(body)), "not_null") and "leave the field out" in message


@pytest.mark.parametrize(("code", "hint"), [("EL", "use GR"), ("UK", "use GB"), ("ZZ", "not an ISO 3166-1 alpha-2")])
def test_nationality_is_an_iso_3166_code(code, hint):
    [(loc, rule, message)] = refusal(MenteeApplication, MENTEE_EXAMPLE | {"nationality": code})
    assert (loc, rule) == ("nationality", "iso_country") and hint in message


@pytest.mark.parametrize("code", ["GR", "GB", "MA", "SY", "CD", "XK"])
def test_real_nationalities_are_accepted(code):
    assert MenteeApplication.model_validate(MENTEE_EXAMPLE | {"nationality": code}).nationality == code


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("jose\u0301@example.org", "jos\u00e9@example.org"),  # decomposed and composed é
        ("\uff41\uff4d\uff49\uff4e\uff41@example.org", "amina@example.org"),  # fullwidth letters
        ("amina@m\u00fcnchen.de", "amina@xn--mnchen-3ya.de"),
        ("Amina@M\u00dcNCHEN.DE", "amina@xn--MNCHEN-3ya.de"),
        (" STRASSE@Example.ORG ", "strasse@example.org"),
    ],
)
def test_one_address_in_different_forms_normalises_to_one_form(one, other):
    assert normalize_email(one) == normalize_email(other)


def test_an_address_whose_domain_is_not_idna_is_refused_rather_than_a_500():
    [(loc, rule, _)] = refusal(MentorApplication, MENTOR_EXAMPLE | {"email": "marc@bad..example.org"})
    assert (loc, rule) == ("email", "email_format")


@pytest.mark.parametrize(
    ("header", "version"),
    [
        ('"3"', 3),
        ("3", 3),
        ('W/"12"', 12),
        ("*", None),
        (None, None),
        ('"999999999"', 999999999),
    ],
)
def test_if_match_names_a_version_or_any(header, version):
    assert expected_version(header) == version


@pytest.mark.parametrize("header", ["\u00b2", '"\u0663"', '"1234567890"', '"-1"', "abc", '"3", "4"', ""])
def test_anything_else_in_if_match_is_refused_naming_the_header(header):
    with pytest.raises(InvalidField) as refused:
        expected_version(header)
    assert refused.value.problems[0].field == "If-Match"
