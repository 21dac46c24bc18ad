-- Version 9: the branch's books (docs/adr/0026, docs/reporting.md): each money figure (budget, planned and actual
-- costs, subsidies requested, granted, received) and each opening period from before the platform, one row per
-- fact, as the consumer keeps every read model (read_models.py). The latest figure of a key, in its stream's order,
-- is chosen at read time (read_books.py). A ledger that holds such facts from before this version has its read
-- models filled again, once, at start (read_models.fill_once: every typed row is written once, the counters
-- recounted to what they are). Run once: what it does depends on the tables not being there yet.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.tables
                   WHERE table_schema = current_schema() AND table_name = 'rm_money') THEN
        CREATE TABLE rm_money (
            event_id       UUID        PRIMARY KEY,
            tenant         TEXT        NOT NULL,
            region         TEXT        NOT NULL,
            year           INTEGER     NOT NULL,
            kind           TEXT        NOT NULL,
            amount_cents   BIGINT      NOT NULL,
            recorded_at    TIMESTAMPTZ NOT NULL,
            stream_id      TEXT        NOT NULL,
            stream_version INTEGER     NOT NULL
        );
        CREATE INDEX rm_money_by_branch ON rm_money (tenant, region, year, kind);
        CREATE TABLE rm_opening (
            event_id         UUID        PRIMARY KEY,
            tenant           TEXT        NOT NULL,
            region           TEXT        NOT NULL,
            first_year       INTEGER     NOT NULL,
            last_year        INTEGER     NOT NULL,
            duos_formed      INTEGER,
            positive_exits   INTEGER,
            sustainable_jobs INTEGER,
            active_mentors   INTEGER,
            source           TEXT        NOT NULL,
            recorded_at      TIMESTAMPTZ NOT NULL,
            stream_id        TEXT        NOT NULL,
            stream_version   INTEGER     NOT NULL
        );
        CREATE INDEX rm_opening_by_branch ON rm_opening (tenant, region, first_year, last_year);
        IF EXISTS (SELECT 1 FROM ledger WHERE event_type IN ('BudgetSet', 'CostsPlanned', 'ActualCostsRecorded',
                   'SubsidyRequested', 'SubsidyGranted', 'SubsidyReceived', 'OpeningFiguresRecorded')) THEN
            DELETE FROM rm_filled;
        END IF;
    END IF;
END
$$;
