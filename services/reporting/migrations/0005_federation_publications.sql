-- Version 5: the federation's publications (docs/adr/0025, docs/reporting.md). One row per quarter end: the
-- roll-up and the plan as the federation was shown them (each cell's count and whether it was hidden), written once,
-- when first asked for, and never changed (append-only: the runtime role may only INSERT and SELECT it,
-- shared/runtime_privileges.py). Every later publication is protected against these rows, so they must stay what was
-- published even when late facts arrive; `duo projection rebuild reporting` leaves them alone.
CREATE TABLE IF NOT EXISTS federation_publications (
    published_on  DATE        PRIMARY KEY,
    tables        JSONB       NOT NULL,
    computed_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
