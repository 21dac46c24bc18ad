-- Version 2: the branch's partner organisations (public services, local associations, employers) that duos refer
-- mentees to (docs/adr/0029). Each row is written in the same transaction as the PartnerRegistered event on the
-- partner's stream, which carries only the id and the kind: the name is organisation data no other service needs.
CREATE TABLE IF NOT EXISTS partners (
    partner_id    UUID PRIMARY KEY,
    tenant        TEXT NOT NULL,
    office        TEXT NOT NULL,
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL,  -- NFKC, case-folded, spaces collapsed (domain/partner.py): one partner per name
    registered_on DATE NOT NULL,
    UNIQUE (tenant, name_key)
);
CREATE INDEX IF NOT EXISTS partners_by_kind ON partners (tenant, kind, name_key);
