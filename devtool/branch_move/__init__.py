"""`duo branch copy|erase|move`: a branch moved to a region of its own (docs/operations.md, docs/adr/0031).

Every fact of a branch is in its streams, and each stream belongs to one branch: the branch's events are copied
into the new region's stores (same event ids, stream ids, versions and times, in the old order), with what the
producing services keep beside them (their read models, their consumers' bookkeeping, intake's sealed personal
data with each person's data key wrapped again by the new region's master key); the new region's relays publish
them, signed and chained by it, and its reporting builds its figures from them. Then the branch is erased from the
old region: its events (each erased position recorded in the hash chain), its rows of every table, its people's
data keys. Both steps are idempotent, so a move stopped midway is run again.
"""
