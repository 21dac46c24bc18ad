-- Intake's own tables, next to its event store. Applied at start-up; every statement is idempotent.
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

-- The first answer to each Idempotency-Key, stored in the transaction of its effect:
-- a retry either finds it (and gets it again) or finds nothing was done.
-- Answers hold ids and statuses, never personal data. Keys are the client's choice, so
-- each branch has its own key space: one branch's key can neither replay nor block another's.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    tenant          TEXT        NOT NULL,
    idempotency_key TEXT        NOT NULL,
    fingerprint     TEXT        NOT NULL,
    status          INTEGER,
    body            JSONB,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, idempotency_key)
);
-- Tables created before keys were scoped by branch: their keys get no branch (''), so they
-- never replay again, which only matters to a retry of a request long answered.
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                   AND table_name = 'idempotency_keys' AND column_name = 'tenant') THEN
        ALTER TABLE idempotency_keys ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
        ALTER TABLE idempotency_keys ALTER COLUMN tenant DROP DEFAULT;
        ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
        ALTER TABLE idempotency_keys ADD PRIMARY KEY (tenant, idempotency_key);
    END IF;
END $$;
