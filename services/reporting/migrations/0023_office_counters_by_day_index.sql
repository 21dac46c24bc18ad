-- Version 23: an index of the counters of each office and year of formation (`office <> '*'`, `year <> 0`) by
-- branch, figure, grain and day. The plan's counts as of a day (`GET /plan`, adapters/read_lists.py,
-- duos_formed_query) read one figure's rows of three ranges of days (years before the day's, months before its
-- month, days up to it): through the primary key, whose office and year come before the day, the generic plan
-- PostgreSQL keeps read every counter of the branch (948 blocks and 1.75 ms of CPU a read at 100,000 facts, 1,200 to
-- 1,700 blocks and 6 to 9 ms at 1,000,000), through this one 0.15 ms at 100,000. Partial, as migration 22's: `n` is
-- not in its key, so the counters' updates stay HOT; a new counter row adds one entry. Safe to run again.
CREATE INDEX IF NOT EXISTS rm_counts_of_offices_by_day ON rm_counts (tenant, figure, grain, bucket)
    WHERE year <> 0 AND office <> '*';
