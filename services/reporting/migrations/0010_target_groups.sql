-- Version 10: mentees' target-group facts (MenteeTargetGroupRecorded, MenteeTargetGroupConsentWithdrawn:
-- docs/reporting.md), recorded with the mentee's consent, counted among the registered mentees ("unknown" without
-- them). One row per fact; the facts are NULL for a withdrawn consent. The event types are new with this version;
-- `duo projection rebuild reporting` fills the table from the log like every other read model.
CREATE TABLE IF NOT EXISTS rm_target_groups (
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
CREATE INDEX IF NOT EXISTS rm_target_groups_by_mentee ON rm_target_groups (mentee_id);
