-- Version 18: the listings that held a day and have ended since, chosen from the index alone (docs/adr/0024, third
-- amendment). A list as of D merges its open listings (version 16's index, in the list's order) with those that
-- ended after D; for today those are few in a real programme (an end on a later date a fact carries), but each
-- was fetched whole (its `item`) before the first `limit` were kept. This index holds what picks and orders them,
-- so only the rows shown are fetched.
CREATE INDEX IF NOT EXISTS rm_listed_ended ON rm_listed (list, tenant, until_day)
    INCLUDE (from_day, office, rank_day, subject, months, entity)
    WHERE until_day <> 'infinity';
