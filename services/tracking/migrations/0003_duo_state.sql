-- Version 3: each duo's folded state, kept in its row with the version it was folded up to, written in the
-- transaction of every append to the duo's stream (services/tracking/adapters/snapshot.py): a command loads the
-- duo from this row instead of reading and folding its whole stream (issue 24). NULL, or a document of another
-- layout: the duo is folded from its stream, as before. Ids, dates, counts and codes only, like the stream.
ALTER TABLE duos ADD COLUMN IF NOT EXISTS state JSONB;
