"""Matching's domain: pure scoring of mentee-mentor pairs and whole matching rounds.

No I/O, no clock: the caller passes `today` and the candidates in (docs/matching.md).
"""
