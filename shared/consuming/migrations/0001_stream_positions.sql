-- OrderedConsumer: stream positions and held events.
-- Version 1: the schema as it was applied at start-up before versioned migrations; every statement is
-- idempotent, so a database made by that start-up path takes this version without change.

-- An OrderedConsumer's tables (shared/consuming/ordered.py). Applied with the consuming
-- service's own tables; every statement is idempotent.

-- The last version of each stream a consumer applied, written in the transaction of the effect:
-- the dedupe record and the order at once, one row per stream (not per event). Version 0: none yet.
CREATE TABLE IF NOT EXISTS stream_positions (
    consumer  TEXT    NOT NULL,
    stream_id TEXT    NOT NULL,
    version   INTEGER NOT NULL CHECK (version >= 0),
    PRIMARY KEY (consumer, stream_id)
);

-- Events that arrived before their predecessor, kept until it arrives (after a republish, say)
-- and then applied in the predecessor's transaction, in stream order. Normally empty.
CREATE TABLE IF NOT EXISTS held_events (
    consumer       TEXT        NOT NULL,
    stream_id      TEXT        NOT NULL,
    stream_version INTEGER     NOT NULL CHECK (stream_version >= 1),
    envelope       JSONB       NOT NULL,
    held_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, stream_id, stream_version)
);
