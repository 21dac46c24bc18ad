-- Version 9: mentors' employment (MentorEmploymentRecorded: docs/reporting.md), so that still-working and
-- employer-released mentors are counted among the active mentors. Its facts are mentor facts (version 4's
-- rm_mentors, kind 'employment'); these columns hold what the counts need. The event type is new with this version:
-- no row kept before it needs them; `duo projection rebuild reporting` fills them from the log like any other.
ALTER TABLE rm_mentors ADD COLUMN IF NOT EXISTS employment_status TEXT;
ALTER TABLE rm_mentors ADD COLUMN IF NOT EXISTS employer_released BOOLEAN;
