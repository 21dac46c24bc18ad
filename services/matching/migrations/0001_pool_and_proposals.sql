-- Matching's own tables: the candidate pool, declined pairs, proposals.
-- Version 1: the schema as it was applied at start-up before versioned migrations; every statement is
-- idempotent, so a database made by that start-up path takes this version without change.

-- Matching's own tables, next to its event store. Applied at start-up; every statement is idempotent.

-- The candidate pool, projected from intake's (and tracking's) events, in stream order, exactly
-- once (shared/consuming/ordered.py), and changed by matching's own decisions in their transaction.
-- No personal data: ids, office, sector, languages, availability, as the events carry them.
CREATE TABLE IF NOT EXISTS pool_mentees (
    mentee_id      UUID        PRIMARY KEY,
    tenant         TEXT        NOT NULL,
    office         TEXT        NOT NULL,
    sector         TEXT,
    languages      TEXT[]      NOT NULL,
    day_parts      TEXT[]      NOT NULL,
    registered_at  TIMESTAMPTZ NOT NULL,
    -- waiting: in the pool; proposed: in an open proposal; in_duo; gone: withdrawn, erased or duo ended
    status         TEXT        NOT NULL DEFAULT 'waiting'
);
CREATE INDEX IF NOT EXISTS pool_mentees_waiting ON pool_mentees (office, status);

CREATE TABLE IF NOT EXISTS pool_mentors (
    mentor_id      UUID        PRIMARY KEY,
    tenant         TEXT        NOT NULL,
    office         TEXT        NOT NULL,
    experience     JSONB       NOT NULL,   -- [{"sector": "Q", "years": 30}, ...]
    languages      TEXT[]      NOT NULL,
    day_parts      TEXT[]      NOT NULL,
    capacity       INTEGER     NOT NULL,
    trained        BOOLEAN     NOT NULL DEFAULT false,
    active         BOOLEAN     NOT NULL DEFAULT true,   -- false once withdrawn or erased
    open_proposals INTEGER     NOT NULL DEFAULT 0 CHECK (open_proposals >= 0),
    active_duos    INTEGER     NOT NULL DEFAULT 0 CHECK (active_duos >= 0)
    -- open_proposals + active_duos never exceeds capacity: a proposal checks it under this row's lock
    -- (adapters/pool.py). Not a CHECK: a mentor may lower their capacity below what is running.
);
CREATE INDEX IF NOT EXISTS pool_mentors_office ON pool_mentors (office);

-- Every pair that declined each other: never proposed again.
CREATE TABLE IF NOT EXISTS declined_pairs (
    mentee_id   UUID        NOT NULL,
    mentor_id   UUID        NOT NULL,
    declined_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (mentee_id, mentor_id)
);

-- The proposals' read side, written in the transaction of each proposal event.
CREATE TABLE IF NOT EXISTS proposals (
    proposal_id    UUID        PRIMARY KEY,
    tenant         TEXT        NOT NULL,
    office         TEXT        NOT NULL,
    mentee_id      UUID        NOT NULL,
    mentor_id      UUID        NOT NULL,
    round_id       UUID,
    status         TEXT        NOT NULL,
    score          DOUBLE PRECISION NOT NULL,
    terms          JSONB       NOT NULL,
    config_version TEXT        NOT NULL,
    proposed_on    DATE        NOT NULL,
    expires_on     DATE        NOT NULL,
    meeting_on     DATE,
    accepted_by    TEXT[]      NOT NULL DEFAULT '{}',
    duo_id         UUID,
    version        INTEGER     NOT NULL
);
-- A mentee is never in two open proposals, whatever two coordinators do at the same instant.
CREATE UNIQUE INDEX IF NOT EXISTS one_open_proposal_per_mentee ON proposals (mentee_id) WHERE status = 'open';
CREATE INDEX IF NOT EXISTS proposals_by_office ON proposals (tenant, office, status, proposed_on);
CREATE INDEX IF NOT EXISTS proposals_open_by_expiry ON proposals (expires_on) WHERE status = 'open';
