"""Intake's domain: pure decisions on mentees and mentors. No I/O, no clock: the caller passes `today` in."""
