-- Version 14: the mentor survey's answers are counted again among the mentors still working (their last employment
-- status recorded: employed or self-employed), the base of the memorandum's professional-value figure
-- (services/reporting/domain/report.py, STILL_WORKING_SIDE). The counters of a ledger that holds mentor surveys are
-- counted again, once, at start (read_models.fill_once); the typed tables already hold what it needs.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM ledger WHERE event_type = 'MentorSurveyRecorded') THEN
        DELETE FROM rm_counted;
        TRUNCATE rm_steps, rm_counts;
    END IF;
END
$$;
