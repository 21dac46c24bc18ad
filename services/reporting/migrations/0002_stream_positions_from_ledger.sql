-- Version 2: reporting consumes in stream order (OrderedConsumer, docs/adr/0012), with one position per
-- stream, where it used to dedupe by event id. A ledger filled before this version gets the positions it
-- implies: per stream, the last version of the unbroken run from 1. Without them, every later event of a
-- stream already in the ledger would be held for ever, waiting for versions the consumer group has already
-- read. The consumer's name is `reporting` (services/reporting/adapters/projection.py, CONSUMER_NAME).
INSERT INTO stream_positions (consumer, stream_id, version)
SELECT 'reporting', stream_id, max(stream_version)
FROM (
    SELECT stream_id, stream_version,
           row_number() OVER (PARTITION BY stream_id ORDER BY stream_version) AS position
    FROM ledger
) AS kept
WHERE stream_version = position
GROUP BY stream_id
ON CONFLICT (consumer, stream_id) DO UPDATE SET version = greatest(stream_positions.version, excluded.version);
