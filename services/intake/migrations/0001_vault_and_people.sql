-- Intake's own tables: the personal-data vault and the people list.
-- Version 1: the schema as it was applied at start-up before versioned migrations; every statement is
-- idempotent, so a database made by that start-up path takes this version without change.

-- Intake's own tables, next to its event store (the idempotency keys are shared.commanding's). Applied at start-up; every statement is idempotent.
-- The lock keeps two intake instances starting at once from racing on CREATE TABLE IF NOT EXISTS.
SELECT pg_advisory_xact_lock(7246101);

-- Personal data of mentees and mentors. Never in an event: the outbox publishes every
-- event to Kafka for good, so erasing a person must be deleting this one row (docs/adr/0006).
-- Written in the same transaction as the registration event.
CREATE TABLE IF NOT EXISTS personal_data (
    person_id        UUID        PRIMARY KEY,
    kind             TEXT        NOT NULL CHECK (kind IN ('mentee', 'mentor')),
    tenant           TEXT        NOT NULL,
    email_normalized TEXT        NOT NULL,
    data             JSONB       NOT NULL,
    recorded_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- One person per e-mail per country branch: concurrent duplicates wait on this index.
    UNIQUE (tenant, email_normalized)
);

-- The read side: one row per person, rewritten from the folded state in the same
-- transaction as each append, so a list never disagrees with the streams.
CREATE TABLE IF NOT EXISTS people (
    person_id                 UUID        PRIMARY KEY,
    kind                      TEXT        NOT NULL,
    tenant                    TEXT        NOT NULL,
    office                    TEXT        NOT NULL,
    status                    TEXT        NOT NULL,
    ready_for_matching        BOOLEAN     NOT NULL,
    sectors                   TEXT[]      NOT NULL,
    languages                 TEXT[]      NOT NULL,
    weekly_availability_hours DOUBLE PRECISION, -- REAL would answer 2.7 as 2.700000047
    available_day_parts       TEXT[]      NOT NULL,
    capacity                  INTEGER,
    age_band                  TEXT,
    version                   INTEGER     NOT NULL,
    registered_at             TIMESTAMPTZ NOT NULL,
    updated_at                TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS people_by_office ON people (office, kind, status, registered_at, person_id);
-- Tables created when the column was REAL: widen it, rounding away REAL's binary noise.
-- Guarded so that a start-up does not rewrite the table every time.
DO $$ BEGIN
    IF (SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema()
        AND table_name = 'people' AND column_name = 'weekly_availability_hours') = 'real' THEN
        ALTER TABLE people ALTER COLUMN weekly_availability_hours TYPE DOUBLE PRECISION
            USING round(weekly_availability_hours::numeric, 4)::double precision;
    END IF;
END $$;

-- Who read whose personal data, when, under which correlation id: one row per read of a
-- profile or of a list with names. Append-only (the triggers refuse any change) and
-- tamper-evident: each row's hash covers its content and the previous row's hash, so an
-- edited or deleted row breaks the chain at that point (adapters/access_log.py verifies it).
CREATE TABLE IF NOT EXISTS access_log (
    entry_id       BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    accessed_at    TIMESTAMPTZ NOT NULL,
    tenant         TEXT        NOT NULL,
    subject        TEXT        NOT NULL,
    role           TEXT        NOT NULL,
    action         TEXT        NOT NULL,
    person_ids     UUID[]      NOT NULL,
    correlation_id UUID        NOT NULL,
    previous_hash  TEXT        NOT NULL,
    entry_hash     TEXT        NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS access_log_by_person ON access_log USING GIN (person_ids);
CREATE OR REPLACE FUNCTION access_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only';
END $$;
CREATE OR REPLACE TRIGGER access_log_no_change BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_is_append_only();
CREATE OR REPLACE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_is_append_only();
