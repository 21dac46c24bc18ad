-- Event store: events, outbox, processed and parked events.
-- Version 1: the schema as it was applied at start-up before versioned migrations; every statement is
-- idempotent, so a database made by that start-up path takes this version without change.

-- One service's event store. Applied at start-up; every statement is idempotent.

CREATE TABLE IF NOT EXISTS events (
    global_position BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    stream_id       TEXT        NOT NULL,
    stream_version  INTEGER     NOT NULL CHECK (stream_version >= 1),
    event_id        UUID        NOT NULL UNIQUE,
    event_type      TEXT        NOT NULL,
    schema_version  INTEGER     NOT NULL,
    tenant          TEXT        NOT NULL,
    office          TEXT        NOT NULL,
    occurred_at     TIMESTAMPTZ NOT NULL,
    recorded_at     TIMESTAMPTZ NOT NULL,
    actor           TEXT        NOT NULL,
    correlation_id  UUID        NOT NULL,
    causation_id    UUID,
    data            JSONB       NOT NULL,
    -- Optimistic concurrency: two writers can never both own a version.
    PRIMARY KEY (stream_id, stream_version)
);

-- Events not yet acknowledged by Kafka. A row is written in the same transaction
-- as its event and deleted only after the broker acknowledged it, so the relay
-- needs no high-water mark and cannot skip an event whose transaction committed
-- after a higher-numbered one (docs/adr/0004).
CREATE TABLE IF NOT EXISTS outbox (
    global_position BIGINT PRIMARY KEY REFERENCES events (global_position)
);

-- Consumers' dedupe records, written in the same transaction as their effect.
CREATE TABLE IF NOT EXISTS processed_events (
    consumer     TEXT        NOT NULL,
    event_id     UUID        NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- Events a consumer can never apply (invalid data, unknown type, a constraint its effect
-- breaks). Parked with the reason instead of blocking the partition forever; an operator
-- fixes the cause and replays them. Written in place of the effect, so nothing is lost.
CREATE TABLE IF NOT EXISTS parked_events (
    consumer   TEXT        NOT NULL,
    event_id   UUID        NOT NULL,
    event_type TEXT        NOT NULL,
    reason     TEXT        NOT NULL,
    envelope   JSONB       NOT NULL,
    parked_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- The hash chain over the events, in the order the relay published them (shared/eventstore/chain.py):
-- each row's hash covers its event and the row before, so an event edited or deleted by hand
-- breaks the chain there (`duo audit verify SERVICE`). No foreign key: a deleted event must
-- leave its chain row behind, to be found missing.
CREATE TABLE IF NOT EXISTS event_chain (
    chain_seq       BIGINT PRIMARY KEY,
    global_position BIGINT NOT NULL UNIQUE,
    event_id        UUID   NOT NULL UNIQUE,
    chain_hash      TEXT   NOT NULL
);

-- Kafka messages a consumer was given that are not valid events of the platform (not a CloudEvent,
-- an event type or a branch the catalog does not know). Parked with the reason instead of skipped,
-- so an operator sees them (`duo parked list`) and, after an upgrade that knows them, replays them.
-- Headers as [name, text] pairs; the value as received. Events carry no personal data; the value is
-- still never logged.
CREATE TABLE IF NOT EXISTS parked_messages (
    consumer  TEXT        NOT NULL,
    topic     TEXT        NOT NULL,
    partition INTEGER     NOT NULL,
    "offset"  BIGINT      NOT NULL,
    reason    TEXT        NOT NULL,
    headers   JSONB       NOT NULL,
    value     BYTEA,
    parked_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, topic, partition, "offset")
);
