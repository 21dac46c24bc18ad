"""The machinery every command shares: who calls and when, load / decide / append, refusals, Idempotency-Key.

Pure parts (`caller`, `errors`, `aggregate`) may be used by any service's domain;
`unit` talks to the event store through its protocol; `idempotency` and `http` are
adapters at the edge (PostgreSQL and FastAPI).
"""
