"""Matching's adapters: the candidate pool projected from intake's events, proposals, declined pairs (PostgreSQL)."""
