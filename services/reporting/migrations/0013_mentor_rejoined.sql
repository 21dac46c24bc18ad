-- Version 13: a mentor back on the same id (MentorRejoined) is in the programme again: counted among the active
-- mentors and, for mentor retention, in the programme from the day they came back (services/reporting/domain/
-- membership.py). Its facts are mentor facts (version 4's rm_mentors, kind 'rejoined'). An older reporting kept
-- them in its ledger with no row there: their rows are added from the ledger and, if there were any, every counter
-- is counted again, once, at start (read_models.fill_once). Safe to run again (the rows' keys are the facts' ids).
DO $$
BEGIN
    INSERT INTO rm_mentors (event_id, mentor_id, kind, tenant, office, day, recorded_at, stream_id, stream_version)
    SELECT l.event_id, (l.data->>'mentor_id')::uuid, 'rejoined', l.tenant, l.office,
           (l.occurred_at AT TIME ZONE CASE l.tenant WHEN 'BE' THEN 'Europe/Brussels'
                                                     WHEN 'NL' THEN 'Europe/Amsterdam'
                                                     WHEN 'FR' THEN 'Europe/Paris' END)::date,
           l.recorded_at, l.stream_id, l.stream_version
    FROM ledger l WHERE l.event_type = 'MentorRejoined'
    ON CONFLICT (event_id) DO NOTHING;
    IF FOUND THEN
        DELETE FROM rm_counted;
        TRUNCATE rm_steps, rm_counts;
    END IF;
END
$$;
