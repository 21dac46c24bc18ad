-- Version 4: access-log entries erased on purpose (services/intake/adapters/access_log_erasure.py, docs/adr/0031).
-- A branch moved to a region of its own takes its entries along; in the old region each is deleted and recorded
-- here, with the hashes that linked it and why, under a mark keyed by the access log's key, so that the log's chain
-- still verifies over the places they held. Names no one: an entry id and two digests.
CREATE TABLE IF NOT EXISTS access_log_erased (
    entry_id      BIGINT      PRIMARY KEY,
    previous_hash TEXT        NOT NULL,
    entry_hash    TEXT        NOT NULL,
    reason        TEXT        NOT NULL,
    erased_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    mark          TEXT        NOT NULL
);
