-- The access log's head, kept outside the log (services/intake/adapters/access_log.py): the last entry's id
-- and hash, with an HMAC by intake's key over both. Written in the transaction of each entry, so that an
-- entry cut from the end of the log (which the chain alone cannot show) leaves the head naming it.
CREATE TABLE IF NOT EXISTS access_log_head (
    one        BOOLEAN PRIMARY KEY DEFAULT true CHECK (one),
    entry_id   BIGINT  NOT NULL,
    entry_hash TEXT    NOT NULL,
    head_mac   TEXT    NOT NULL
);
