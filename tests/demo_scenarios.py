"""Small demo scenarios for the tests, written as the TOML a user would write (docs/demo.md)."""

from __future__ import annotations

# The memorandum's probabilities (devtool/demo/scenarios/memorandum-2024-2027.toml), as the tests use them.
PROBABILITIES = {
    "positive_exit": 0.70,
    "sustainable_work": 0.50,
    "mentor_continues": 0.90,
    "more_self_confidence": 0.91,
    "more_autonomous_job_search": 0.91,
    "mentor_helped_with_problems": 0.70,
    "mentor_feels_useful": 0.96,
    "mentor_professional_value": 0.55,
    "mentee_accepts": 0.93,
    "mentor_accepts": 0.95,
    "meeting_missed": 0.20,
    "stopped_early": 0.10,
}


def scenario(name: str, seed: int, duos: dict[str, list[int]], months: int, **probabilities: float) -> str:
    """A scenario file's text: duos per area from 2025, the memorandum's probabilities unless overridden."""
    lines = [f'name = "{name}"', f"seed = {seed}", "first_year = 2025", "", "[duos]"]
    lines += [f"{area} = {years}" for area, years in duos.items()]
    lines += ["", "[probabilities]"]
    lines += [f"{key} = {value}" for key, value in (PROBABILITIES | probabilities).items()]
    lines += ["", "[mentoring]", f"months = {months}", ""]
    return "\n".join(lines)
