"""Facts for hand-made histories, as their producers would record them: one builder each, so a test says only what
matters to it (the day a duo formed, how long the mentee waited) and the catalog's other fields stay in one place."""

from __future__ import annotations

import uuid
from datetime import date

from shared.events.catalog import DuoFormed


def duo_formed(
    duo_id: uuid.UUID, mentee_id: uuid.UUID, mentor_id: uuid.UUID, formed_on: date, days_to_match: int = 20
) -> DuoFormed:
    """Matching's fact that a duo formed (a Q-sector job target, no province, a test configuration)."""
    return DuoFormed(
        duo_id=duo_id,
        proposal_id=uuid.uuid4(),
        mentee_id=mentee_id,
        mentor_id=mentor_id,
        province=None,
        job_target_sector="Q",
        formed_on=formed_on,
        days_to_match=days_to_match,
        score=0.8,
        config_version="test",
    )
