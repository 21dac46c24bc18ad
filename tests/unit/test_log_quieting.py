"""A Kafka client's reconnect lines are one per outage, and a commit failure recovered by design is no critical line."""

from __future__ import annotations

import logging

from aiokafka.errors import CommitFailedError

from shared.log_quieting import QuietOutages


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def record(name: str, level: int, msg: str, *args, error: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(error), error, None) if error is not None else None
    return logging.LogRecord(name, level, __file__, 1, msg, args, exc_info)


def test_repeated_reconnect_lines_are_one_per_outage_and_the_next_says_how_many_were_dropped():
    clock = Clock()
    quiet = QuietOutages(clock)
    template = "Unable connect to node with id %s: %s"
    kept = [quiet.filter(record("aiokafka.conn", logging.ERROR, template, 0, "refused")) for _ in range(500)]
    assert kept.count(True) == 1 and kept[0]
    clock.now += 61  # the next outage
    later = record("aiokafka.conn", logging.ERROR, template, 0, "refused")
    assert quiet.filter(later) and "499 more like it" in later.getMessage()
    assert quiet.filter(record("aiokafka.client", logging.ERROR, "Unable to update metadata"))  # another kind


def test_lines_of_other_loggers_and_kafka_info_lines_are_never_dropped():
    quiet = QuietOutages(Clock())
    assert all(quiet.filter(record("outbox", logging.WARNING, "outbox relay failed, retrying")) for _ in range(5))
    assert all(quiet.filter(record("aiokafka.consumer", logging.INFO, "joined group")) for _ in range(5))


def test_a_failed_commit_after_a_broker_restart_is_a_warning_and_any_other_critical_line_stays_critical():
    quiet = QuietOutages(Clock())
    failed = record("faststream.access.kafka", logging.CRITICAL, "CommitFailedError()", error=CommitFailedError())
    assert quiet.filter(failed) and failed.levelno == logging.WARNING and failed.levelname == "WARNING"
    assert failed.exc_info is None and "redelivered" in failed.getMessage()
    other = record("faststream.access.kafka", logging.CRITICAL, "KeyError('x')", error=KeyError("x"))
    assert quiet.filter(other) and other.levelno == logging.CRITICAL
