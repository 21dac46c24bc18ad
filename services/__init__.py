"""The four DUO services: intake, matching, tracking, reporting."""
