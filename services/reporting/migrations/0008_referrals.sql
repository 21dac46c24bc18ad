-- Version 8: a duo's referrals to partner organisations and their outcomes (MenteeReferred,
-- ReferralOutcomeRecorded: docs/reporting.md), counted per partner kind. Their rows are duo facts like any other
-- (version 4); these columns hold what the counts need. Both event types are new with this version, so no row kept
-- before it needs them; `duo projection rebuild reporting` fills them from the log like every other column.
ALTER TABLE rm_duo_facts ADD COLUMN IF NOT EXISTS partner_kind TEXT;
ALTER TABLE rm_duo_facts ADD COLUMN IF NOT EXISTS accompanied BOOLEAN;
ALTER TABLE rm_duo_facts ADD COLUMN IF NOT EXISTS outcome TEXT;
