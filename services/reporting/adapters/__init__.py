"""Reporting's adapters: the projection's tables, the effects that write them, the queries that read them."""
