-- Version 22: an index of the counters of the whole programme (every year, `year = 0`, by year, `grain = 'y'`), by
-- branch, figure and office. `GET /stats/mentees` reads exactly these rows (adapters/read_lists.py,
-- read_mentee_counts): through the primary key it searched the branch's counters once per office and year (77
-- searches and 326 blocks a read at 1,000,000 facts, 4 ms), through this one range (74 blocks, 0.5 ms). Partial: two
-- of the twelve counter rows a step moves are in it, and `n` is not in its key, so their updates stay HOT.
-- Safe to run again.
CREATE INDEX IF NOT EXISTS rm_counts_whole_programme ON rm_counts (tenant, figure, office)
    WHERE year = 0 AND grain = 'y';
