"""Structured logs: JSON off a terminal, each line with service, event id and correlation id, never personal data."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

from shared.log_quieting import QuietOutages

# Keys whose values are personal data of mentees and mentors (docs/adr/0006), compared
# after normalising: lower case, letters only ("firstName" and "first_name" alike).
PERSONAL_KEYS = frozenset(
    {
        "name",
        "firstname",
        "lastname",
        "fullname",
        "givenname",
        "surname",
        "familyname",
        "email",
        "mail",
        "phone",
        "telephone",
        "mobile",
        "birthdate",
        "dateofbirth",
        "dob",
        "address",
        "streetaddress",
        "contact",
        "nationality",
        "personal",
        "personaldata",
    }
)
_PERSONAL_PARTS = ("email", "phone", "birth")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# International (+32 / 0032 ...) or national (0...) numbers; the look-arounds keep
# IP addresses, UUIDs and ports out of it.
_PHONE = re.compile(
    r"(?<![\w.:/-])(?:(?:\+|00)\d{2,3}[ ./-]?\d(?:[ ./-]?\d){6,11}|0\d{1,3}(?:[ ./-]?\d\d){3,4})(?![\w.:/-])"
)
_DATE = re.compile(r"\b(19|20)\d\d-\d\d-\d\d\b")
REDACTED = "[redacted]"
_ALWAYS = ("service", "event_id", "correlation_id")


def is_personal_key(key: str) -> bool:
    """Whether a log field's name says it holds personal data."""
    normalized = "".join(ch for ch in key.lower() if ch.isalpha())
    return normalized in PERSONAL_KEYS or any(part in normalized for part in _PERSONAL_PARTS)


def _redact_traceback(text: str) -> str:
    # Frames and source lines say where; exception messages can quote data (asyncpg's DETAIL,
    # pydantic's input_value), so of each message only the exception's type is kept.
    lines, in_message = [], False
    for line in text.splitlines():
        if line.startswith(("Traceback", "During handling", "The above exception")):
            lines.append(line)
            in_message = False
        elif not in_message and line.startswith("  "):
            lines.append(line)  # a frame ("  File ...") or its source line
        elif not in_message and line.strip():
            lines.append(line.split(":", 1)[0] + (": " + REDACTED if ":" in line else ""))
            in_message = True  # the rest, up to the next traceback, is the message
    return "\n".join(lines)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _DATE.sub(REDACTED, _PHONE.sub(REDACTED, _EMAIL.sub(REDACTED, value)))
    if isinstance(value, dict):
        return {k: (REDACTED if is_personal_key(str(k)) else _scrub(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v) for v in value]
    return value


def drop_personal_data(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Redact personal keys, and e-mail addresses, phone numbers and dates inside any text."""
    cleaned = {}
    for key, value in event_dict.items():
        if key == "color_message":
            continue  # uvicorn's copy of the message with terminal colour codes: noise in JSON
        if key == "exception" and isinstance(value, str):
            cleaned[key] = _scrub(_redact_traceback(value))
        elif is_personal_key(key):
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


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]  # its stream is replaced by a property
    """Writes to whatever sys.stderr is when a line is logged, not the stream it was when logging was set up
    (a process that swaps sys.stderr, as a test runner does, must not leave a handler on a closed stream)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


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
        structlog.processors.format_exc_info,  # before the scrubber, so tracebacks are scrubbed too
        drop_personal_data,
    ]
    renderer = structlog.processors.JSONRenderer() if json_output else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*shared_processors, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = _CurrentStderr()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.ExtraAdder(), *shared_processors],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    handler.addFilter(QuietOutages())  # one line per outage; no critical line for what recovers by design
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
