-- Version 7: definitions chosen per branch (docs/adr/0026, docs/reporting.md). A positive exit's new versions
-- count a training only when it is qualifying: the typed facts keep whether it is. Every figure's counters are kept
-- under every version of its definition (their key), so a ledger kept before this version has its counters counted
-- again, once, at start (read_models.fill_once), from the typed tables. Run once: what it does depends on the column
-- not being there yet.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = current_schema() AND table_name = 'rm_duo_facts'
                     AND column_name = 'qualifying') THEN
        ALTER TABLE rm_duo_facts ADD COLUMN qualifying BOOLEAN;
        UPDATE rm_duo_facts f SET qualifying = (l.data->>'qualifying')::boolean
            FROM ledger l WHERE l.event_id = f.event_id AND f.event_type = 'TrainingStarted';
        IF EXISTS (SELECT 1 FROM ledger) THEN
            DELETE FROM rm_counted;
            TRUNCATE rm_steps, rm_counts;
        END IF;
    END IF;
END
$$;
