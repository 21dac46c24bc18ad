-- Tracking's own tables.
-- Version 1: the schema as it was applied at start-up before versioned migrations; every statement is
-- idempotent, so a database made by that start-up path takes this version without change.

-- Tracking's own tables, next to its event store. Applied at start-up; every statement is idempotent.
-- No personal data: ids, office, dates, counts and codes.

-- The duos tracking knows: projected from matching's DuoFormed (in stream order, exactly once:
-- shared/consuming/ordered.py), then kept in step with tracking's own events in each command's
-- transaction (the columns after `formed_on`). A duo not in this table is a 404.
CREATE TABLE IF NOT EXISTS duos (
    duo_id            UUID    PRIMARY KEY,
    tenant            TEXT    NOT NULL,
    office            TEXT    NOT NULL,
    proposal_id       UUID    NOT NULL,
    mentee_id         UUID    NOT NULL,
    mentor_id         UUID    NOT NULL,
    province          TEXT,
    job_target_sector TEXT    NOT NULL,
    formed_on         DATE    NOT NULL,
    status            TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
    meetings          INTEGER NOT NULL DEFAULT 0 CHECK (meetings >= 0),
    last_met_on       DATE,
    ended_on          DATE,
    end_reason        TEXT,
    version           INTEGER NOT NULL DEFAULT 0   -- of the duo's stream in tracking's store
);
CREATE INDEX IF NOT EXISTS duos_by_office ON duos (tenant, office, status);

-- The follow-ups of each ended duo (3, 6 and 12 months after the end), written when it ends:
-- open until recorded or until the window closes. Lists the due ones for coordinators.
CREATE TABLE IF NOT EXISTS follow_ups (
    duo_id      UUID    NOT NULL REFERENCES duos (duo_id),
    months      INTEGER NOT NULL CHECK (months IN (3, 6, 12)),
    due_on      DATE    NOT NULL,
    closes_on   DATE    NOT NULL,
    status      TEXT,
    recorded_on DATE,
    PRIMARY KEY (duo_id, months)
);
CREATE INDEX IF NOT EXISTS follow_ups_open ON follow_ups (due_on) WHERE recorded_on IS NULL;
