-- Version 3: events erased from the store on purpose, with their place in the hash chain (docs/adr/0031).
-- A branch moved to a region of its own leaves the old region (`duo branch erase`): its events are deleted, their
-- chain rows stay (the topic still holds the events, with these hashes), and each erased chain position is
-- recorded here with why, under a mark keyed by the service's chain key. `duo audit verify` then passes over the
-- position, naming how many were erased and why; an event deleted without a valid mark still breaks the chain.
CREATE TABLE IF NOT EXISTS erased_events (
    chain_seq BIGINT      PRIMARY KEY,
    reason    TEXT        NOT NULL,
    erased_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    mark      TEXT        NOT NULL
);
