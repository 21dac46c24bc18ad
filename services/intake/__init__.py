"""Intake: mentees and mentors, eligibility, consent, mentor training."""
