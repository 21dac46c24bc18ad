"""Tracking: the life of a duo: meetings, outcomes, surveys, closing."""
