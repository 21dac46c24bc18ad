-- Version 19: with each fact, the keyed digest of the message reporting verified it from
-- (services/reporting/adapters/verified_once.py, docs/adr/0033), so that a rebuild verifies again only the messages
-- that differ. NULL: a fact kept before this version, or applied outside the batch that verified it (a held successor,
-- a parked event replayed); the next rebuild verifies its message and keeps the digest.
ALTER TABLE ledger ADD COLUMN IF NOT EXISTS verified_digest BYTEA;
