-- Version 21: of two duos a mentor formed on one day, the mentor's first (mentor retention) is the one that ended
-- first, then the duo's id (services/reporting/domain/report.py, first_duo_key); the id alone chose before, so the
-- counters kept then may have counted such a mentor from the other duo's end. When the ledger holds any mentor with
-- two duos formed on one day, every counter is counted again, once, at start (read_models.fill_once), as version 13
-- does; otherwise nothing changes and nothing is recounted. Safe to run again.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM rm_duos GROUP BY mentor_id, formed_on HAVING count(*) > 1) THEN
        DELETE FROM rm_counted;
        TRUNCATE rm_steps, rm_counts;
    END IF;
END
$$;
