-- Version 17: the audit trail of a figure is read a page at a time (GET /figures/{figure}/events, docs/adr/0032), and
-- each page says how many facts the whole trail lists: counters of their own, kept with the figures' (the steps of
-- services/reporting/domain/steps.py, TRAIL_FACTS): the applications' facts, and the facts of the duos each
-- positive-exit and sustainable-work definition counts. A ledger kept before this version has every counter counted
-- again, once, at start (read_models.fill_once); the typed tables already hold what they need.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM ledger) THEN
        DELETE FROM rm_counted;
        TRUNCATE rm_steps, rm_counts;
    END IF;
END
$$;
