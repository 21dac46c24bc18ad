-- Version 16: a coordinator's list read in time bounded by the rows it shows, not by how many are listed
-- (docs/adr/0024, third amendment; docs/reporting.md). Until now each read counted and cut every listing that held
-- the day (rm_listed, version 8), and the lists grow with the programme.
--
-- Each list's total is kept as counters by day, month and year, as the figures' are (rm_counts, version 6): a
-- listing adds 1 on its from_day and takes 1 away on its until_day (none while it is still listed), so the total as
-- of D is the sum of the list's years before D's, months of D's year before D's month and days of D's month up to D.
-- They move with the listings, in the statement that replaces an entity's listings (adapters/listings.py).
CREATE TABLE IF NOT EXISTS rm_listed_counts (
    list    TEXT     NOT NULL,  -- waiting, proposals, inactive, follow_ups
    tenant  TEXT     NOT NULL,
    office  TEXT     NOT NULL,  -- an office, or '*': every office of the branch
    grain   CHAR(1)  NOT NULL,  -- d, m, y
    bucket  DATE     NOT NULL,  -- the day, the month's first day, the year's first day
    n       BIGINT   NOT NULL,
    PRIMARY KEY (list, tenant, office, grain, bucket)
);

-- The first rows of a list in its order: the listings still open, in the lists' order (the day that orders them,
-- then the entity, then a follow-up's months), so a read walks the index from its start and stops after `limit`
-- rows. The listings that ended are read by the index of version 8 (those ending after the day asked: few for a
-- recent day).
CREATE INDEX IF NOT EXISTS rm_listed_open_in_order ON rm_listed (list, tenant, rank_day, subject, months)
    WHERE until_day = 'infinity';

-- The totals of the listings an existing database already holds. A database whose listings are still to be made
-- (rm_listed_filled empty) has none yet: the fill that makes them moves the counters as it goes.
INSERT INTO rm_listed_counts (list, tenant, office, grain, bucket, n)
SELECT m.list, m.tenant, c.office, g.grain, g.bucket, sum(m.delta)
FROM (
    SELECT list, tenant, office, from_day AS day, 1 AS delta FROM rm_listed
    UNION ALL
    SELECT list, tenant, office, until_day, -1 FROM rm_listed WHERE until_day <> 'infinity'
) m
CROSS JOIN LATERAL (VALUES (m.office), ('*')) c(office)
CROSS JOIN LATERAL (VALUES ('d', m.day), ('m', date_trunc('month', m.day)::date),
    ('y', date_trunc('year', m.day)::date)) g(grain, bucket)
GROUP BY 1, 2, 3, 4, 5
HAVING sum(m.delta) <> 0
ON CONFLICT (list, tenant, office, grain, bucket) DO NOTHING;
