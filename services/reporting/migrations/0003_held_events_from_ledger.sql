-- Version 3: the facts version 2 left above a stream's unbroken run (a version missing from the ledger:
-- parked, or never delivered) are held, as the ordered consumer holds an event that arrived before its
-- predecessor. Without them, once the missing version arrives (a replay of the parked event, say), the
-- position would stop there: the later facts are past the consumer group's offsets and would never come
-- again, and every newer event of the stream would wait for them for ever. Applied again when released, they
-- change nothing (the ledger keeps a fact once). Their envelopes are rebuilt from the ledger's columns.
INSERT INTO held_events (consumer, stream_id, stream_version, envelope)
SELECT 'reporting',
       l.stream_id,
       l.stream_version,
       jsonb_build_object(
           'event_id', l.event_id,
           'event_type', l.event_type,
           'schema_version', l.schema_version,
           'stream_id', l.stream_id,
           'stream_version', l.stream_version,
           'tenant', l.tenant,
           'office', l.office,
           'occurred_at', l.occurred_at,
           'recorded_at', l.recorded_at,
           'actor', l.actor,
           'correlation_id', l.correlation_id,
           'causation_id', l.causation_id,
           'data', l.data
       )
FROM ledger AS l
LEFT JOIN stream_positions AS p ON p.consumer = 'reporting' AND p.stream_id = l.stream_id
WHERE l.stream_version > coalesce(p.version, 0)
ON CONFLICT (consumer, stream_id, stream_version) DO NOTHING;
