-- Version 6: counters by day, so that a figure as of any day reads a bounded number of rows (docs/adr/0024,
-- docs/reporting.md). Each duo, mentor, mentee and refused application has steps: what it adds to which figure of
-- which cell (branch, office, year) from which day on (domain/steps.py). The steps of an entity are recomputed from
-- all its facts (the typed tables of version 4) whenever one of them is kept, in the same transaction, and the
-- difference is added to the counters: a figure as of D is the sum of its counters up to D.

-- Each entity's steps as last computed ('duo:<id>', 'mentor:<id>', 'mentee:<id>', 'refusal:<event id>').
CREATE TABLE IF NOT EXISTS rm_steps (
    entity  TEXT     NOT NULL,
    tenant  TEXT     NOT NULL,
    office  TEXT     NOT NULL,
    year    SMALLINT NOT NULL,
    figure  TEXT     NOT NULL,
    key     TEXT     NOT NULL,
    day     DATE     NOT NULL,
    delta   BIGINT   NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_steps_by_entity ON rm_steps (entity);

-- The sum of the steps, by cell and by day, month and year: as of D = the years before D's, the months of D's year
-- before D's month, the days of D's month up to D. A cell is an office or every office ('*') of a branch, and a year
-- or every year (0): a slice of a branch, an office, a year or both reads one cell (a province, its offices).
CREATE TABLE IF NOT EXISTS rm_counts (
    tenant  TEXT     NOT NULL,
    office  TEXT     NOT NULL,
    year    SMALLINT NOT NULL,
    grain   CHAR(1)  NOT NULL,  -- d, m, y
    bucket  DATE     NOT NULL,  -- the day, the month's first day, the year's first day
    figure  TEXT     NOT NULL,
    key     TEXT     NOT NULL,
    n       BIGINT   NOT NULL,
    PRIMARY KEY (tenant, office, year, grain, bucket, figure, key)
);

-- A registration's place in the ledger's order (its last one counts, as in the fold).
ALTER TABLE rm_applications ADD COLUMN IF NOT EXISTS stream_id TEXT;
ALTER TABLE rm_applications ADD COLUMN IF NOT EXISTS stream_version INTEGER;
UPDATE rm_applications a SET stream_id = l.stream_id, stream_version = l.stream_version
    FROM ledger l WHERE l.event_id = a.event_id AND a.stream_id IS NULL;
CREATE INDEX IF NOT EXISTS rm_applications_by_mentee ON rm_applications (mentee_id);
CREATE INDEX IF NOT EXISTS rm_mentors_by_mentor_id ON rm_mentors (mentor_id);

-- Whether the steps and counters hold every fact the typed tables held when they were made: a new database's are
-- (nothing to count); a ledger kept before this version has its counters computed once, at start
-- (read_models.fill_once), before reporting answers.
CREATE TABLE IF NOT EXISTS rm_counted (counted_at TIMESTAMPTZ NOT NULL DEFAULT now());
INSERT INTO rm_counted SELECT now() WHERE NOT EXISTS (SELECT 1 FROM ledger) AND NOT EXISTS (SELECT 1 FROM rm_counted);
