"""A duo's state kept in its row (services/tracking/adapters/snapshot.py): read back, through JSON, it is the state
folded from the duo's stream, at every step of a duo's life; a document of another layout is not read."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime

from services.tracking import service
from services.tracking.adapters import snapshot
from services.tracking.domain.commands import RecordFollowUp
from services.tracking.domain.duo import DUO, DuoState, Job, Referral
from services.tracking.domain.partner import RegisterPartner
from services.tracking.service import TrackingUnit
from tests.unit.test_tracking_duo import DUO_ID, formed
from tests.unit.test_tracking_service import LIFE, PARTNER_ID, Tracking, caller


def through_the_row(state: DuoState) -> DuoState | None:
    """What the row's JSONB column gives back (asyncpg's codec is json.dumps / json.loads)."""
    return snapshot.from_document(state.facts, state.version, json.loads(json.dumps(snapshot.to_document(state))))


async def test_at_every_step_of_a_duos_life_the_row_gives_back_the_state_its_stream_folds_to():
    tracking = Tracking()
    await tracking.run(RegisterPartner(PARTNER_ID, "be-antwerpen", "employer", "Atelier"))
    later = caller(now=datetime(2026, 9, 16, 10, tzinfo=UTC))  # the 3-month follow-up is due
    for command, who in [*((c, caller()) for c, _ in LIFE), (RecordFollowUp(DUO_ID, 3, "employed"), later)]:
        state = await tracking.run(command, who)
        folded = DUO.fold(await tracking.store.read_stream(DUO.stream(DUO_ID)), formed())
        assert state == folded
        assert through_the_row(folded) == folded, type(command).__name__
        async with tracking.store.transaction() as tx:
            unit = TrackingUnit(tx, tracking.store, tracking.duos, tracking.partners)
            assert await service.load_duo(unit, DUO_ID, who) == folded  # from the saved state alone
    # The life set every field the document keeps: none of them is still as it was when the duo was formed.
    unchanged = [f.name for f in dataclasses.fields(DuoState) if getattr(state, f.name) == getattr(formed(), f.name)]
    assert unchanged == ["facts"]
    assert state.jobs[0].extended_on and state.jobs[0].ended_on and state.referrals[0].outcome_recorded_on


def test_the_document_keeps_every_field_of_a_duos_state():
    # A field added to DuoState, a Job or a Referral must be kept by the document (and FORMAT changed): else a duo
    # loaded from its row would lose it.
    doc = snapshot.to_document(formed())
    kept_apart = {"facts", "version"}  # the row's own columns
    assert set(doc) - {"format"} == {f.name for f in dataclasses.fields(DuoState)} - kept_apart
    job = Job(DUO_ID, "C", "fixed_term", 6, 38.5, date(2026, 4, 1), date(2026, 5, 1), date(2026, 4, 15))
    referral = Referral(DUO_ID, DUO_ID, "employer", date(2026, 4, 1), True, "waiting_list", date(2026, 5, 1))
    state = dataclasses.replace(formed(), version=2, jobs=(job,), referrals=(referral,))
    [job_row] = snapshot.to_document(state)["jobs"]
    [referral_row] = snapshot.to_document(state)["referrals"]
    assert len(job_row) == len(dataclasses.fields(Job)) and len(referral_row) == len(dataclasses.fields(Referral))
    assert through_the_row(state) == state


def test_a_row_without_a_document_of_this_layout_is_folded_from_its_stream():
    facts = formed().facts
    assert snapshot.from_document(facts, 0, None) == DuoState(facts)  # nothing recorded: the duo as formed
    assert snapshot.from_document(facts, 3, None) is None  # a row written before snapshots
    older = snapshot.to_document(dataclasses.replace(formed(), version=3)) | {"format": snapshot.FORMAT - 1}
    assert snapshot.from_document(facts, 3, older) is None
