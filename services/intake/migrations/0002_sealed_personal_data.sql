-- Personal data sealed with a key of each person's own (crypto-shredding, docs/adr/0020).
-- A deleted row lives on in the WAL, in dead tuples, replicas and backups; so values are written sealed only, and
-- erasure deletes the person's data key: every copy left is ciphertext that nothing opens any more.

-- One data key per person, wrapped (AES-256-GCM) by the service's master key, which is never in the database.
-- `master_key_id` is the master key's fingerprint: a service started with another key says so; a rotation
-- wraps the key again by the next one. The key goes with its person's row, whichever release deletes that row.
CREATE TABLE IF NOT EXISTS data_keys (
    person_id     UUID        PRIMARY KEY REFERENCES personal_data (person_id) ON DELETE CASCADE,
    wrapped_key   BYTEA       NOT NULL,
    master_key_id TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- `sealed`: the person's data (the JSON that `data` held), sealed with their data key.
-- `email_index`: HMAC-SHA-256 of the branch and normalised e-mail under a key derived from the master key,
-- for the one-person-per-e-mail rule; it confirms no guessed address to anyone without the master key.
-- `email_normalized` and `data` stay, empty, for rows written before this version until intake seals them at
-- start (services/intake/adapters/sealing.py); a later migration drops them.
ALTER TABLE personal_data
    ADD COLUMN IF NOT EXISTS sealed      BYTEA,
    ADD COLUMN IF NOT EXISTS email_index BYTEA,
    ALTER COLUMN email_normalized DROP NOT NULL,
    ALTER COLUMN data DROP NOT NULL;
-- One person per e-mail per branch, as UNIQUE (tenant, email_normalized) did: concurrent duplicates wait on it.
CREATE UNIQUE INDEX IF NOT EXISTS personal_data_one_per_email ON personal_data (tenant, email_index);
ALTER TABLE personal_data DROP CONSTRAINT IF EXISTS personal_data_sealed_or_not_yet;
ALTER TABLE personal_data ADD CONSTRAINT personal_data_sealed_or_not_yet CHECK (
    (sealed IS NOT NULL AND email_index IS NOT NULL AND data IS NULL AND email_normalized IS NULL)
    OR (sealed IS NULL AND email_index IS NULL AND data IS NOT NULL AND email_normalized IS NOT NULL)
);
