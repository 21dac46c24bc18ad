-- Version 10: a duo's referrals to partner organisations and their outcomes (MenteeReferred,
-- ReferralOutcomeRecorded: docs/reporting.md), counted per partner kind. Their rows are duo facts like any other
-- (version 4); these columns hold what the counts need. A reporting service older than this version parks the two
-- event types (unknown to its catalog), so its typed tables hold none of them; should a ledger hold them anyway,
-- their columns are filled from it and every counter is counted again, once, at start (read_models.fill_once), as
-- version 7 does. Run once: what it does depends on the columns not being there yet.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = current_schema() AND table_name = 'rm_duo_facts'
                     AND column_name = 'partner_kind') THEN
        ALTER TABLE rm_duo_facts ADD COLUMN partner_kind TEXT;
        ALTER TABLE rm_duo_facts ADD COLUMN accompanied BOOLEAN;
        ALTER TABLE rm_duo_facts ADD COLUMN outcome TEXT;
        UPDATE rm_duo_facts f SET partner_kind = l.data->>'partner_kind',
                                  accompanied = (l.data->>'accompanied')::boolean,
                                  outcome = l.data->>'outcome'
            FROM ledger l WHERE l.event_id = f.event_id
                            AND f.event_type IN ('MenteeReferred', 'ReferralOutcomeRecorded');
        IF FOUND THEN
            DELETE FROM rm_counted;
            TRUNCATE rm_steps, rm_counts;
        END IF;
    END IF;
END
$$;
