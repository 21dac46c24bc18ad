"""Reporting's domain: the arithmetic of the figures, pure functions of projected rows."""
