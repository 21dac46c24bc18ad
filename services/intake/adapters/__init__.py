"""Intake's adapters: its PostgreSQL tables (personal-data vault, people list, schema) and in-memory stand-ins."""
