"""Reporting: projections of every topic, rebuilt from the log on demand."""
