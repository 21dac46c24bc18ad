-- Version 20: room on each page of the counters for their next values (issue 24, docs/performance.md). Every kept
-- fact moves a few dozen counter rows (rm_counts; a list's totals, rm_listed_counts) by an UPDATE of `n`, which no
-- index holds: PostgreSQL writes the new version of a row on its own page when there is room (a heap-only tuple),
-- without a new entry in the key's index. Pages filled to the brim left room for 9% of them; at 70% the rest of the
-- page takes the next versions, and the old ones are pruned from it as it fills. New pages only: the pages of a
-- database kept before this version fill this way once they are rewritten (VACUUM FULL, or a rebuild).
ALTER TABLE rm_counts SET (fillfactor = 70);
ALTER TABLE rm_listed_counts SET (fillfactor = 70);
