"""Log lines: JSON, traceable, and free of personal data."""

from __future__ import annotations

import json

import structlog

from shared.logging import configure_logging


def last_line(capsys) -> dict:
    return json.loads(capsys.readouterr().err.strip().splitlines()[-1])


def test_every_line_names_service_event_and_correlation(capsys):
    configure_logging("intake", json_output=True)
    structlog.get_logger("t").info("started")
    line = last_line(capsys)
    assert line["service"] == "intake" and line["event"] == "started"
    assert "event_id" in line and "correlation_id" in line
    with structlog.contextvars.bound_contextvars(event_id="e-1", correlation_id="c-1"):
        structlog.get_logger("t").info("applied")
    line = last_line(capsys)
    assert (line["event_id"], line["correlation_id"]) == ("e-1", "c-1")


def test_personal_data_never_reaches_a_log_line(capsys):
    configure_logging("intake", json_output=True)
    structlog.get_logger("t").warning(
        "mentee jan.peeters@example.org called from +32 470 12 34 56, born 1999-04-02",
        first_name="Jan",
        last_name="Peeters",
        email="jan.peeters@example.org",
        phone="0470123456",
        birth_date="1999-04-02",
        payload={"name": "Jan Peeters", "office": "be-gent"},
    )
    out = capsys.readouterr().err
    for secret in ("Jan", "Peeters", "jan.peeters@example.org", "470 12 34 56", "0470123456", "1999-04-02"):
        assert secret not in out
    line = json.loads(out.strip().splitlines()[-1])
    assert line["payload"]["office"] == "be-gent"


def test_stdlib_loggers_are_rendered_and_scrubbed_too(capsys):
    import logging

    configure_logging("reporting", json_output=True)
    logging.getLogger("aiokafka").warning("member %s left", "ana@example.org")
    line = last_line(capsys)
    assert line["service"] == "reporting" and "ana@example.org" not in line["event"]


def test_addresses_and_ids_are_not_mistaken_for_phone_numbers(capsys):
    configure_logging("intake", json_output=True)
    structlog.get_logger("t").info("listening on http://127.0.0.1:8001 as 60be6dd2-f169-4901-ba12-cafa9aa75e1d")
    assert "127.0.0.1:8001" in last_line(capsys)["event"]


def test_exception_text_never_carries_personal_data(capsys):
    import logging

    import pydantic

    configure_logging("intake", json_output=True)
    try:
        raise RuntimeError(
            "duplicate key value violates unique constraint\nDETAIL:  Key (tenant, email_normalized)"
            "=(BE, jan.peeters@example.org) already exists."
        )
    except RuntimeError:
        structlog.get_logger("t").exception("append failed")

    class Person(pydantic.BaseModel):
        age: int

    name = "Jan Peeters"
    try:
        Person.model_validate({"age": name})
    except pydantic.ValidationError:
        logging.getLogger("uvicorn.error").exception("request failed")
    out = capsys.readouterr().err
    for secret in ("jan.peeters@example.org", "Jan Peeters"):
        assert secret not in out
    lines = [json.loads(line) for line in out.strip().splitlines()]
    assert "RuntimeError" in lines[0]["exception"] and "ValidationError" in lines[1]["exception"]


def test_personal_keys_are_recognised_in_any_spelling(capsys):
    configure_logging("intake", json_output=True)
    structlog.get_logger("t").info(
        "x", firstName="Jan", surname="Peeters", telephone="x1", contactEmail="y", mentee_id="m-1"
    )
    line = last_line(capsys)
    assert {line[k] for k in ("firstName", "surname", "telephone", "contactEmail")} == {"[redacted]"}
    assert line["mentee_id"] == "m-1"


def test_output_is_json_when_not_on_a_terminal(capsys):
    configure_logging("tracking")  # stderr is captured here, so not a terminal
    structlog.get_logger("t").info("hello")
    assert last_line(capsys)["event"] == "hello"
