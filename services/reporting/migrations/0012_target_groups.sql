-- Version 12: mentees' target-group facts (MenteeTargetGroupRecorded, MenteeTargetGroupConsentWithdrawn:
-- docs/reporting.md), recorded with the mentee's consent, counted among the registered mentees ("unknown" without
-- them). One row per fact; the facts are NULL for a withdrawn consent. An older reporting service parks the two
-- event types (unknown to its catalog); should a ledger hold them anyway, the table is filled from it and every
-- counter is counted again, once, at start (read_models.fill_once). Run once (the table not there yet).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.tables
                   WHERE table_schema = current_schema() AND table_name = 'rm_target_groups') THEN
        CREATE TABLE rm_target_groups (
            event_id             UUID        PRIMARY KEY,
            mentee_id            UUID        NOT NULL,
            tenant               TEXT        NOT NULL,
            recorded_at          TIMESTAMPTZ NOT NULL,
            stream_id            TEXT        NOT NULL,
            stream_version       INTEGER     NOT NULL,
            neet                 BOOLEAN,
            long_term_unemployed BOOLEAN,
            time_since_last_job  TEXT
        );
        CREATE INDEX rm_target_groups_by_mentee ON rm_target_groups (mentee_id);
        INSERT INTO rm_target_groups
            SELECT l.event_id, (l.data->>'mentee_id')::uuid, l.tenant, l.recorded_at, l.stream_id, l.stream_version,
                   CASE WHEN l.event_type = 'MenteeTargetGroupRecorded'
                        THEN coalesce((l.data->>'neet')::boolean, false) END,
                   CASE WHEN l.event_type = 'MenteeTargetGroupRecorded'
                        THEN coalesce((l.data->>'long_term_unemployed')::boolean, false) END,
                   CASE WHEN l.event_type = 'MenteeTargetGroupRecorded' THEN l.data->>'time_since_last_job' END
            FROM ledger l
            WHERE l.event_type IN ('MenteeTargetGroupRecorded', 'MenteeTargetGroupConsentWithdrawn');
        IF FOUND THEN
            DELETE FROM rm_counted;
            TRUNCATE rm_steps, rm_counts;
        END IF;
    END IF;
END
$$;
