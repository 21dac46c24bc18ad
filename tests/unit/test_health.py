"""The rules of `/health` (shared/health.py `decide`): ok, degraded or failing, and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.config import ConfigurationError
from shared.consuming.idempotent import CONNECTION_ERRORS, PERMANENT_ERRORS, TRANSIENT_ERRORS
from shared.consuming.progress import ConsumerProgress
from shared.health import (
    Checks,
    ConsumerCheck,
    OutboxBacklog,
    PartitionCheck,
    Reachability,
    checks_json,
    decide,
    stall_after_s,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
STALL = 60.0
UP = Reachability(True, latency_ms=1.0)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def consumer(**changes) -> ConsumerCheck:
    fields: dict = {
        "name": "reporting-ledger",
        "started_at": ago(3600),
        "last_processed_at": ago(1),
        "last_applied_at": ago(1),
        "parked_events": 0,
        "parked_messages": 0,
        "partitions": (PartitionCheck("duo.intake.events", 0, 41, 0, True),),
    }
    return ConsumerCheck(**(fields | changes))


def checks(**changes) -> Checks:
    fields: dict = {"database": UP, "broker": UP, "outbox": OutboxBacklog(0), "consumers": (consumer(),)}
    return Checks(**(fields | changes))


def test_all_well_is_ok_without_reasons():
    assert decide(checks(), NOW, STALL) == ("ok", [])
    assert decide(checks(outbox=None, consumers=()), NOW, STALL) == ("ok", [])


def test_a_fresh_service_with_nothing_consumed_yet_is_ok():
    fresh = consumer(started_at=ago(600), last_processed_at=None, last_applied_at=None, partitions=())
    assert decide(checks(consumers=(fresh,)), NOW, STALL) == ("ok", [])


def test_an_unreachable_database_is_failing():
    status, reasons = decide(checks(database=Reachability(False, "TimeoutError"), outbox=None), NOW, STALL)
    assert status == "failing"
    assert reasons == ["the database is unreachable (TimeoutError)"]


def test_an_unreachable_broker_is_degraded_as_commands_still_work():
    status, [reason] = decide(checks(broker=Reachability(False, "KafkaConnectionError")), NOW, STALL)
    assert status == "degraded"
    assert reason.startswith("the broker is unreachable (KafkaConnectionError)") and "outbox keeps" in reason


def test_an_outbox_whose_oldest_event_waits_too_long_is_degraded():
    young = OutboxBacklog(12, ago(STALL - 1))
    assert decide(checks(outbox=young), NOW, STALL) == ("ok", [])
    status, [reason] = decide(checks(outbox=OutboxBacklog(12, ago(STALL + 30))), NOW, STALL)
    assert status == "degraded"
    assert "12 unpublished events" in reason and "90 s" in reason and "relay is stalled" in reason


def test_parked_events_or_messages_are_degraded():
    for parked in ({"parked_events": 2}, {"parked_messages": 1}):
        status, [reason] = decide(checks(consumers=(consumer(**parked),)), NOW, STALL)
        assert status == "degraded"
        assert "reporting-ledger" in reason and "parked" in reason


def test_events_held_longer_than_the_stall_time_are_degraded_a_moments_hold_is_not():
    held = consumer(held_events=3, oldest_held_at=ago(STALL + 5))
    status, [reason] = decide(checks(consumers=(held,)), NOW, STALL)
    assert status == "degraded"
    assert "holds 3 events" in reason and "earlier versions" in reason
    moment = consumer(held_events=3, oldest_held_at=ago(2))  # a republish put a later version first
    assert decide(checks(consumers=(moment,)), NOW, STALL) == ("ok", [])
    body = checks_json(checks(consumers=(held,)), NOW)
    assert body["consumers"][0]["held_events"] == 3 and body["consumers"][0]["oldest_held_age_s"] == STALL + 5


def test_waiting_messages_without_progress_for_too_long_are_failing():
    waiting = (PartitionCheck("duo.intake.events", 1, 10, 5, True),)
    slow_but_moving = consumer(partitions=waiting, last_processed_at=ago(STALL - 1), last_applied_at=ago(STALL * 10))
    assert decide(checks(consumers=(slow_but_moving,)), NOW, STALL) == ("ok", [])
    stalled = consumer(partitions=waiting, last_processed_at=ago(STALL + 5))
    status, [reason] = decide(checks(consumers=(stalled,)), NOW, STALL)
    assert status == "failing"
    assert reason.startswith("consumer reporting-ledger is stalled: 5 messages wait")


def test_a_consumer_stuck_on_its_first_message_counts_from_its_start():
    waiting = (PartitionCheck("duo.intake.events", 0, None, 3, True),)
    assert decide(checks(consumers=(consumer(partitions=waiting, last_processed_at=None),)), NOW, STALL)[0] == "failing"
    recent = consumer(partitions=waiting, last_processed_at=None, started_at=ago(5))
    assert decide(checks(consumers=(recent,)), NOW, STALL)[0] == "ok"


def test_idle_without_known_waiting_messages_is_not_a_stall():
    for partitions in [
        (PartitionCheck("t", 0, 10, 0, True),),  # caught up
        (PartitionCheck("t", 0, 10, None, True),),  # no highwater seen: nothing known to wait
        (PartitionCheck("t", 0, 10, 7, False),),  # revoked by a rebalance: another process has it now
    ]:
        idle = consumer(partitions=partitions, last_processed_at=ago(STALL * 100))
        assert decide(checks(consumers=(idle,)), NOW, STALL) == ("ok", []), partitions


def test_failing_outranks_degraded_and_every_reason_is_given():
    status, reasons = decide(
        checks(
            broker=Reachability(False, "TimeoutError"),
            consumers=(
                consumer(parked_events=1, partitions=(PartitionCheck("t", 0, 1, 2, None),), last_processed_at=ago(99)),
            ),
        ),
        NOW,
        STALL,
    )
    assert status == "failing"
    assert [r.split(" ")[0:2] for r in reasons] == [
        ["consumer", "reporting-ledger"],
        ["the", "broker"],
        ["consumer", "reporting-ledger"],
    ]
    assert "stalled" in reasons[0]


def test_what_could_not_be_read_is_degraded():
    status, [reason] = decide(checks(unread=("the outbox backlog (QueryCanceledError)",)), NOW, STALL)
    assert status == "degraded" and reason == "could not read the outbox backlog (QueryCanceledError)"


def test_the_stall_time_comes_from_the_environment():
    assert stall_after_s({}) == 60.0
    assert stall_after_s({"DUO_STALL_AFTER_S": "5"}) == 5.0
    with pytest.raises(ConfigurationError, match="DUO_STALL_AFTER_S: Input should be a valid number"):
        stall_after_s({"DUO_STALL_AFTER_S": "soon"})  # refused, never silently the default


def test_the_checks_are_plain_json():
    body = checks_json(checks(outbox=OutboxBacklog(3, ago(7))), NOW)
    assert body["database"] == {"reachable": True, "error": None, "latency_ms": 1.0}
    assert body["outbox"] == {"pending": 3, "oldest_pending_age_s": 7.0}
    [ledger] = body["consumers"]
    assert ledger["last_applied_at"] == ago(1).isoformat() and ledger["parked_events"] == 0
    assert ledger["partitions"] == [
        {"topic": "duo.intake.events", "partition": 0, "last_offset": 41, "lag_hint": 0, "assigned": True}
    ]


def test_progress_gives_the_lag_from_the_highwater_of_the_last_fetch():
    moments = iter([ago(100), ago(50), ago(40)])
    progress = ConsumerProgress("c", clock=lambda: next(moments))
    assert progress.started_at == ago(100)
    progress.received("t", 0, 7, highwater=10)
    [state] = progress.partitions.values()
    assert state.lag_hint == 3  # offsets 7, 8 and 9 wait: none processed yet
    progress.done("t", 0, 7, applied=True)
    assert state.lag_hint == 2 and progress.applied == 1 and progress.last_applied_at == ago(50)
    progress.received("t", 0, 8, highwater=None)  # no fetch seen: the last highwater stays
    progress.done("t", 0, 8, applied=False, parked=True)
    assert state.offset == 8 and state.lag_hint == 1
    assert (progress.processed, progress.applied, progress.parked) == (2, 1, 1)
    assert progress.last_processed_at == ago(40) and progress.last_applied_at == ago(50)
    assert progress.assigned("t", 0) is None  # no client: unknown


def test_transient_failures_are_never_parked_at_once():
    assert not [t for t in TRANSIENT_ERRORS if issubclass(t, PERMANENT_ERRORS)]
    assert set(CONNECTION_ERRORS) <= set(TRANSIENT_ERRORS)
