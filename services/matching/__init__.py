"""Matching: candidate pool from intake events, sector-based scoring, proposals, DuoFormed."""
