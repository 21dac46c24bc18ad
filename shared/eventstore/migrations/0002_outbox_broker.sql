-- The broker log the relay last published each topic to (its cluster id). A broker answering with another id
-- holds a new log (the embedded broker keeps its log in memory): the relay then queues the whole store again,
-- in order, before it publishes anything new to it (shared/outbox/relay.py, docs/adr/0023).

CREATE TABLE IF NOT EXISTS outbox_broker (
    topic      TEXT PRIMARY KEY,
    cluster_id TEXT NOT NULL,
    seen_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
