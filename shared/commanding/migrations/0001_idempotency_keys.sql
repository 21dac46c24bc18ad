-- Idempotency-Key answers.
-- Version 1: the schema as it was applied at start-up before versioned migrations; every statement is
-- idempotent, so a database made by that start-up path takes this version without change.

-- The first answer to each Idempotency-Key, stored in the transaction of its effect:
-- a retry either finds it (and gets it again) or finds nothing was done.
-- Answers hold ids and statuses, never personal data. Keys are the client's choice, so
-- each branch has its own key space: one branch's key can neither replay nor block another's.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    tenant          TEXT        NOT NULL,
    idempotency_key TEXT        NOT NULL,
    fingerprint     TEXT        NOT NULL,
    status          INTEGER,
    body            JSONB,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, idempotency_key)
);
-- Tables created before keys were scoped by branch: their keys get no branch (''), so they
-- never replay again, which only matters to a retry of a request long answered.
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                   AND table_name = 'idempotency_keys' AND column_name = 'tenant') THEN
        ALTER TABLE idempotency_keys ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
        ALTER TABLE idempotency_keys ALTER COLUMN tenant DROP DEFAULT;
        ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
        ALTER TABLE idempotency_keys ADD PRIMARY KEY (tenant, idempotency_key);
    END IF;
END $$;

-- Each branch's secret for the keyed digests of requests (HMAC): a digest alone cannot
-- confirm a guess of what a request said about a person.
CREATE TABLE IF NOT EXISTS idempotency_secrets (
    tenant TEXT  PRIMARY KEY,
    secret BYTEA NOT NULL
);
