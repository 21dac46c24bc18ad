-- Version 4: read models (docs/adr/0017, docs/reporting.md). Each row is one fact of the ledger, typed: the
-- columns a figure or a list needs, pulled out of the fact's JSON once, when it is applied, in the same
-- transaction (services/reporting/adapters/read_models.py says which facts go where). Figures are SQL aggregates
-- over these tables, "as of" a day is `recorded_at <= the end of that day`: no read loads the ledger.
-- A row is written once per event id, whatever order the facts arrive in; what depends on several facts (a duo
-- and its end, a job and its extensions) is joined at read time, so a late fact changes what it touches.
-- Filled by the consumer from here on, and by `duo projection rebuild reporting` from the log.

-- Registrations (mentee_id set) and refused applications (failed_rules set).
CREATE TABLE IF NOT EXISTS rm_applications (
    event_id       UUID        PRIMARY KEY,
    tenant         TEXT        NOT NULL,
    office         TEXT        NOT NULL,
    day            DATE        NOT NULL,
    recorded_at    TIMESTAMPTZ NOT NULL,
    mentee_id      UUID,
    failed_rules   TEXT[]
);
CREATE INDEX IF NOT EXISTS rm_applications_by_place ON rm_applications (tenant, office, recorded_at);

-- Mentors trained, withdrawn, erased.
CREATE TABLE IF NOT EXISTS rm_mentors (
    event_id       UUID        PRIMARY KEY,
    mentor_id      UUID        NOT NULL,
    kind           TEXT        NOT NULL,
    tenant         TEXT        NOT NULL,
    office         TEXT        NOT NULL,
    day            DATE        NOT NULL,
    recorded_at    TIMESTAMPTZ NOT NULL,
    stream_id      TEXT        NOT NULL,
    stream_version INTEGER     NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_mentors_by_mentor ON rm_mentors (tenant, mentor_id);

-- Duos as formed.
CREATE TABLE IF NOT EXISTS rm_duos (
    duo_id         UUID        PRIMARY KEY,
    event_id       UUID        NOT NULL,
    tenant         TEXT        NOT NULL,
    office         TEXT        NOT NULL,
    mentee_id      UUID        NOT NULL,
    mentor_id      UUID        NOT NULL,
    formed_on      DATE        NOT NULL,
    days_to_match  INTEGER     NOT NULL,
    recorded_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_duos_by_place ON rm_duos (tenant, office, formed_on);
CREATE INDEX IF NOT EXISTS rm_duos_by_mentor ON rm_duos (mentor_id);

-- Every other fact about a duo (meetings, outcomes, contract changes, surveys, the end, follow-ups, plans).
CREATE TABLE IF NOT EXISTS rm_duo_facts (
    event_id        UUID        PRIMARY KEY,
    duo_id          UUID        NOT NULL,
    event_type      TEXT        NOT NULL,
    occurred_at     TIMESTAMPTZ NOT NULL,
    recorded_at     TIMESTAMPTZ NOT NULL,
    stream_id       TEXT        NOT NULL,
    stream_version  INTEGER     NOT NULL,
    on_day          DATE,       -- met_on, started_on, ended_on, extended_on, recorded_on: the fact's own day
    minutes         INTEGER,
    topics          TEXT[],
    job_id          UUID,
    contract_type   TEXT,
    contract_months INTEGER,
    reason          TEXT,
    months          INTEGER,
    answers         JSONB
);
CREATE INDEX IF NOT EXISTS rm_duo_facts_by_duo ON rm_duo_facts (duo_id, event_type, recorded_at);

-- The facts that move a mentee between registered, waiting, in a duo and gone.
CREATE TABLE IF NOT EXISTS rm_mentee_steps (
    event_id       UUID        PRIMARY KEY,
    mentee_id      UUID        NOT NULL,
    status         TEXT        NOT NULL,
    registered     BOOLEAN     NOT NULL,
    tenant         TEXT        NOT NULL,
    office         TEXT        NOT NULL,
    occurred_at    TIMESTAMPTZ NOT NULL,
    causal_rank    SMALLINT    NOT NULL,
    stream_id      TEXT        NOT NULL,
    stream_version INTEGER     NOT NULL,
    day            DATE        NOT NULL,
    recorded_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_mentee_steps_by_mentee ON rm_mentee_steps (tenant, mentee_id);

-- A proposal's life: proposed, first meeting, accepted, formed, declined, expired.
CREATE TABLE IF NOT EXISTS rm_proposal_facts (
    event_id       UUID        PRIMARY KEY,
    proposal_id    UUID        NOT NULL,
    event_type     TEXT        NOT NULL,
    tenant         TEXT        NOT NULL,
    office         TEXT        NOT NULL,
    day            DATE        NOT NULL,
    recorded_at    TIMESTAMPTZ NOT NULL,
    stream_id      TEXT        NOT NULL,
    stream_version INTEGER     NOT NULL,
    mentee_id      UUID,
    mentor_id      UUID,
    expires_on     DATE,
    meeting_on     DATE,
    side           TEXT
);
CREATE INDEX IF NOT EXISTS rm_proposal_facts_by_proposal ON rm_proposal_facts (tenant, proposal_id);

-- Which facts name a subject (a mentee, mentor, duo, proposal...): a history is one indexed read.
CREATE TABLE IF NOT EXISTS rm_subjects (
    subject        TEXT        NOT NULL,
    event_id       UUID        NOT NULL,
    tenant         TEXT        NOT NULL,
    PRIMARY KEY (subject, event_id)
);

-- Whether the read models hold every fact the ledger held when they were made. A new database's ledger is empty:
-- filled. A ledger kept before this version is filled in once, set-based, by the service when it starts
-- (read_models.fill_once), while its consumer goes on (each fact is written once whoever writes it first).
CREATE TABLE IF NOT EXISTS rm_filled (filled_at TIMESTAMPTZ NOT NULL DEFAULT now());
INSERT INTO rm_filled SELECT now() WHERE NOT EXISTS (SELECT 1 FROM ledger) AND NOT EXISTS (SELECT 1 FROM rm_filled);
