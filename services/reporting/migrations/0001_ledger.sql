-- Reporting's projection: the ledger.
-- Version 1: the schema as it was applied at start-up before versioned migrations; every statement is
-- idempotent, so a database made by that start-up path takes this version without change.

-- Reporting's projection: the ledger of every fact consumed from every topic, once per event id.
-- Figures are computed from it (services/reporting/domain/), whatever order the facts arrived
-- in; "as of" a date is the ledger up to that date's recorded time. Applied at start-up;
-- every statement is idempotent. No personal data: events carry none (docs/adr/0006).
CREATE TABLE IF NOT EXISTS ledger (
    event_id       UUID        PRIMARY KEY,
    stream_id      TEXT        NOT NULL,
    stream_version INTEGER     NOT NULL,
    event_type     TEXT        NOT NULL,
    schema_version INTEGER     NOT NULL,
    tenant         TEXT        NOT NULL,
    office         TEXT        NOT NULL,
    occurred_at    TIMESTAMPTZ NOT NULL,
    recorded_at    TIMESTAMPTZ NOT NULL,
    actor          TEXT        NOT NULL,
    correlation_id UUID        NOT NULL,
    causation_id   UUID,
    data           JSONB       NOT NULL,
    applied_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ledger_by_tenant ON ledger (tenant, recorded_at);
CREATE INDEX IF NOT EXISTS ledger_by_stream ON ledger (stream_id, stream_version);
