"""`/metrics` in the Prometheus text format (prometheus-client): what an operator graphs and alerts on.

Two kinds of figures:
- counted by the HTTP middleware as requests pass: requests by route and status, request and command
  latency (commands: POST, PUT, PATCH, DELETE), kept in the app's own registry;
- looked at when scraped, from the same checks `/health` makes (shared/health.py): database and broker
  reachability, the outbox backlog and the age of its oldest event, each consumer's progress, lag hint
  per partition and parked events and messages.

Routes are labelled by their template (`/mentees/{mentee_id}`), never by the path asked for, so ids do not
become labels; a path no route matches is `<unmatched>`. Like `/health`, `/metrics` needs no token: it
must be reachable by Prometheus only, never published (docs/operations.md).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime

from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import Scope

from shared.health import Checks, Status

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
COMMAND_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
UNMATCHED = "<unmatched>"
# Seconds: a command is one transaction (tens of milliseconds); the tail matters up to a few seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def route_of(scope: Scope) -> str:
    """The template of the route that answered (FastAPI puts it in the scope), or `<unmatched>`."""
    route = scope.get("route")
    return getattr(route, "path", None) or UNMATCHED


class ServiceMetrics:
    """One app's counters and histograms, in a registry of its own (several apps may share a process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        # The process's CPU, memory, open files and start time, the interpreter's version and its garbage
        # collections: prometheus-client's default collectors, in this app's registry.
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.requests = Counter(
            "duo_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "duo_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ("method", "route"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.command_seconds = Histogram(
            "duo_command_duration_seconds",
            "Time to answer a command (POST, PUT, PATCH, DELETE), by route template and status class.",
            ("route", "outcome"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def observe(self, scope: Scope, status: int, started: float) -> None:
        """Count one answered request (an ASGI HTTP scope); `started` is its time.perf_counter() at arrival."""
        elapsed = time.perf_counter() - started
        route, method = route_of(scope), scope["method"]
        self.requests.labels(method, route, str(status)).inc()
        self.request_seconds.labels(method, route).observe(elapsed)
        if method in COMMAND_METHODS:
            self.command_seconds.labels(route, f"{status // 100}xx").observe(elapsed)

    def exposition(self, checks: Checks, status: Status, now: datetime) -> bytes:
        """The whole page: the counters, then what `checks` saw at `now`."""
        looked = CollectorRegistry(auto_describe=False)
        looked.register(_ChecksCollector(checks, status, now))
        return generate_latest(self.registry) + generate_latest(looked)


class _ChecksCollector(Collector):
    """The health checks of one scrape as gauges and counters."""

    def __init__(self, checks: Checks, status: Status, now: datetime) -> None:
        self.checks, self.status, self.now = checks, status, now

    def collect(self) -> Iterable[Metric]:
        checks, now = self.checks, self.now
        health = GaugeMetricFamily(
            "duo_health_status", "1 for the status /health answers now (ok, degraded, failing).", labels=["status"]
        )
        for status in ("ok", "degraded", "failing"):
            health.add_metric([status], 1.0 if status == self.status else 0.0)
        yield health
        up = GaugeMetricFamily("duo_dependency_up", "1 when the dependency answered its probe.", labels=["dependency"])
        up.add_metric(["database"], float(checks.database.reachable))
        up.add_metric(["broker"], float(checks.broker.reachable))
        yield up
        if checks.outbox is not None:
            yield GaugeMetricFamily(
                "duo_outbox_pending_events", "Events appended but not yet acknowledged by Kafka.", checks.outbox.pending
            )
            oldest = checks.outbox.oldest_recorded_at
            yield GaugeMetricFamily(
                "duo_outbox_oldest_age_seconds",
                "Age of the oldest event still waiting in the outbox (0: none waits).",
                max((now - oldest).total_seconds(), 0.0) if oldest else 0.0,
            )
        if checks.group_lag is not None:
            yield from _group_lag(checks)
        if not checks.consumers:
            return
        labels = ["consumer"]
        partition_labels = ["consumer", "topic", "partition"]
        lag = GaugeMetricFamily(
            "duo_consumer_lag_hint_messages",
            "Messages known to wait on a partition assigned to this process, from the consumer's last fetch.",
            labels=partition_labels,
        )
        offset = GaugeMetricFamily(
            "duo_consumer_last_offset", "The last offset processed on a partition.", labels=partition_labels
        )
        parked_events = GaugeMetricFamily(
            "duo_consumer_parked_events", "Events parked for an operator (duo parked list).", labels=labels
        )
        parked_messages = GaugeMetricFamily(
            "duo_consumer_parked_messages", "Kafka messages that were not valid events, parked.", labels=labels
        )
        idle = GaugeMetricFamily(
            "duo_consumer_idle_seconds", "Seconds since the consumer last moved an offset on.", labels=labels
        )
        processed = CounterMetricFamily(
            "duo_consumer_processed_messages",
            "Messages whose offset moved on since the process started.",
            labels=labels,
        )
        applied = CounterMetricFamily(
            "duo_consumer_applied_events", "Effects applied since the process started.", labels=labels
        )
        failures = CounterMetricFamily(
            "duo_consumer_failures", "Failed attempts (redelivered or parked) since the process started.", labels=labels
        )
        for consumer in checks.consumers:
            name = [consumer.name]
            for p in consumer.partitions:
                where = [consumer.name, p.topic, str(p.partition)]
                if p.lag_hint is not None and p.assigned is not False:
                    lag.add_metric(where, float(p.lag_hint))
                if p.last_offset is not None:
                    offset.add_metric(where, float(p.last_offset))
            if consumer.parked_events is not None:
                parked_events.add_metric(name, float(consumer.parked_events))
            if consumer.parked_messages is not None:
                parked_messages.add_metric(name, float(consumer.parked_messages))
            idle.add_metric(name, consumer.idle_s(now))
            processed.add_metric(name, float(consumer.processed_since_start))
            applied.add_metric(name, float(consumer.applied_since_start))
            failures.add_metric(name, float(consumer.failures_since_start))
        yield from (lag, offset, parked_events, parked_messages, idle, processed, applied, failures)


def _group_lag(checks: Checks) -> Iterable[Metric]:
    labels = ["group", "topic", "partition"]
    lag = GaugeMetricFamily(
        "duo_consumer_group_lag_messages",
        "Messages a consumer group has still to read on a partition: the broker's end offset minus the group's "
        "committed offset (the same on every replica).",
        labels=labels,
    )
    committed = GaugeMetricFamily(
        "duo_consumer_group_committed_offset",
        "The offset a consumer group committed on a partition, as the broker reports it.",
        labels=labels,
    )
    end = GaugeMetricFamily(
        "duo_topic_end_offset", "The next offset the broker will assign on a partition.", labels=labels
    )
    for partition in checks.group_lag or ():
        where = [partition.group, partition.topic, str(partition.partition)]
        lag.add_metric(where, float(partition.lag))
        end.add_metric(where, float(partition.end))
        if partition.committed is not None:
            committed.add_metric(where, float(partition.committed))
    yield from (lag, committed, end)
