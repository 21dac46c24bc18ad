-- Version 11: mentors' employment (MentorEmploymentRecorded: docs/reporting.md), so that still-working and
-- employer-released mentors are counted among the active mentors. Its facts are mentor facts (version 4's
-- rm_mentors, kind 'employment'); these columns hold what the counts need. An older reporting service parks the
-- event type (unknown to its catalog); should its rows be there anyway, their columns are filled from the ledger and
-- every counter is counted again, once, at start (read_models.fill_once). Run once (the columns not there yet).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = current_schema() AND table_name = 'rm_mentors'
                     AND column_name = 'employment_status') THEN
        ALTER TABLE rm_mentors ADD COLUMN employment_status TEXT;
        ALTER TABLE rm_mentors ADD COLUMN employer_released BOOLEAN;
        UPDATE rm_mentors m SET employment_status = l.data->>'status',
                                employer_released = coalesce((l.data->>'employer_released')::boolean, false)
            FROM ledger l WHERE l.event_id = m.event_id AND l.event_type = 'MentorEmploymentRecorded';
        IF FOUND THEN
            DELETE FROM rm_counted;
            TRUNCATE rm_steps, rm_counts;
        END IF;
    END IF;
END
$$;
