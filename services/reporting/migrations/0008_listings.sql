-- Version 8: the coordinator's lists as intervals, so that a list as of any day is one indexed read (docs/adr/0024,
-- docs/reporting.md). Each mentee, proposal and duo has listings: in which list (waiting mentees, open proposals,
-- inactive duos, follow-ups due), where, from which day until which day, showing what (domain/listings.py). An
-- entity's listings are recomputed from all its facts (the typed tables of version 4) whenever one of them is kept,
-- in the same transaction.
CREATE TABLE IF NOT EXISTS rm_listed (
    entity    TEXT     NOT NULL,  -- 'mentee:<id>', 'proposal:<id>', 'duo:<id>'
    list      TEXT     NOT NULL,  -- waiting, proposals, inactive, follow_ups
    tenant    TEXT     NOT NULL,
    office    TEXT     NOT NULL,
    subject   UUID     NOT NULL,  -- the mentee, proposal or duo: the order of a list's ties
    from_day  DATE     NOT NULL,
    until_day DATE     NOT NULL,  -- 'infinity': still listed
    rank_day  DATE,               -- waiting since, expiry, last meeting (or formation), due day: a list's order
    months    SMALLINT NOT NULL,  -- a follow-up's months (0 for the other lists)
    item      JSONB    NOT NULL   -- what the list shows that does not move with the day asked for
);
CREATE INDEX IF NOT EXISTS rm_listed_by_entity ON rm_listed (entity);
-- A list as of D: the listings of its branch that end after D (few, for a recent D) and started by D.
CREATE INDEX IF NOT EXISTS rm_listed_by_list ON rm_listed (list, tenant, until_day, from_day);

-- An entity's rows, whatever its branch.
CREATE INDEX IF NOT EXISTS rm_mentee_steps_by_mentee_id ON rm_mentee_steps (mentee_id);
CREATE INDEX IF NOT EXISTS rm_proposal_facts_by_proposal_id ON rm_proposal_facts (proposal_id);
CREATE INDEX IF NOT EXISTS rm_proposal_facts_by_mentee ON rm_proposal_facts (mentee_id) WHERE mentee_id IS NOT NULL;

-- Whether the listings hold every fact the typed tables held when they were made: a new database's do; a ledger
-- kept before this version has its listings computed once, at start (read_models.fill_once), before reporting
-- answers.
CREATE TABLE IF NOT EXISTS rm_listed_filled (listed_at TIMESTAMPTZ NOT NULL DEFAULT now());
INSERT INTO rm_listed_filled SELECT now()
    WHERE NOT EXISTS (SELECT 1 FROM ledger) AND NOT EXISTS (SELECT 1 FROM rm_listed_filled);
