"""Structured logs: JSON off a terminal, each line with service, event id and correlation id, never personal data."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

# Keys whose values are personal data of mentees and mentors (docs/adr/0006).
PERSONAL_KEYS = frozenset({
    "name", "first_name", "last_name", "full_name", "email", "e_mail", "phone", "phone_number",
    "birth_date", "date_of_birth", "address", "contact", "nationality",
})
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# International (+32 / 0032 ...) or national (0...) numbers; the look-arounds keep
# IP addresses, UUIDs and ports out of it.
_PHONE = re.compile(
    r"(?<![\w.:/-])(?:(?:\+|00)\d{2,3}[ ./-]?\d(?:[ ./-]?\d){6,11}|0\d{1,3}(?:[ ./-]?\d\d){3,4})(?![\w.:/-])"
)
_DATE = re.compile(r"\b(19|20)\d\d-\d\d-\d\d\b")
REDACTED = "[redacted]"
_ALWAYS = ("service", "event_id", "correlation_id")


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _DATE.sub(REDACTED, _PHONE.sub(REDACTED, _EMAIL.sub(REDACTED, value)))
    if isinstance(value, dict):
        return {k: (REDACTED if k.lower() in PERSONAL_KEYS else _scrub(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v) for v in value]
    return value


def drop_personal_data(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Redact personal keys, and e-mail addresses, phone numbers and dates inside any text."""
    cleaned = {}
    for key, value in event_dict.items():
        if key.lower() in PERSONAL_KEYS:
            cleaned[key] = REDACTED
        elif key in ("timestamp", "level", "logger") + _ALWAYS:
            cleaned[key] = value
        else:
            cleaned[key] = _scrub(value)
    return cleaned


def ensure_trace_fields(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Every line names its service, event id and correlation id (null when there is none)."""
    for key in _ALWAYS:
        event_dict.setdefault(key, None)
    return event_dict


def configure_logging(service: str, level: str = "INFO", json_output: bool | None = None) -> None:
    """Set structlog up for one service process; also routes stdlib logging (uvicorn, aiokafka) through it."""
    if json_output is None:
        json_output = not sys.stderr.isatty()
    def add_service(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        event_dict.setdefault("service", service)
        return event_dict

    shared_processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        add_service,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        ensure_trace_fields,
        drop_personal_data,
        structlog.processors.format_exc_info,
    ]
    renderer = structlog.processors.JSONRenderer() if json_output else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*shared_processors, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.ExtraAdder(), *shared_processors],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
