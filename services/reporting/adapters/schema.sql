-- Reporting's projection tables, next to its consumer's dedupe and parking tables.
-- Applied at start-up; every statement is idempotent.

-- One row per registered mentee (MenteeRegistered).
CREATE TABLE IF NOT EXISTS registered_mentees (
    mentee_id     UUID PRIMARY KEY,
    tenant        TEXT NOT NULL,
    office        TEXT NOT NULL,
    registered_at TIMESTAMPTZ NOT NULL
);

-- One row per refused application (MenteeApplicationRejected): applications = registrations + refusals.
CREATE TABLE IF NOT EXISTS refused_applications (
    application_id UUID PRIMARY KEY,
    tenant         TEXT NOT NULL,
    office         TEXT NOT NULL,
    failed_rules   TEXT[] NOT NULL,
    decided_at     TIMESTAMPTZ NOT NULL
);
