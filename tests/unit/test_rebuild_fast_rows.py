"""The rebuild's fast decode gives exactly the careful path's row, and leaves anything unusual to it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from types import MappingProxyType

import pytest
from aiokafka import ConsumerRecord

from services.reporting.adapters.fast_rows import fast_row
from services.reporting.adapters.projection import ledger_row
from shared.clock import utc_now
from shared.consuming.subscriber import admit
from shared.events.catalog import MenteeRegistered
from shared.events.envelope import EventEnvelope, EventMetadata, NewEvent
from shared.events.signing import KEY_ID, SIGNATURE
from shared.events.wire import to_kafka
from shared.tenancy import Tenant
from tests.unit.signing_keys import KEYRING, signing_key

TOPIC = "duo.intake.events"
PRODUCERS = {TOPIC: "intake", "duo.matching.events": "matching"}
ABSENT = b"(the header is left out)"


def record(
    topic: str = TOPIC,
    value: bytes | None = None,
    signed: bool = True,
    headers: Mapping[str, bytes | None] = MappingProxyType({}),
    **header_changes: bytes | None,
) -> ConsumerRecord:
    """A record as intake's relay would send it, with the header changes made before it was signed (unless
    `signed` is False, or a change names the signature headers themselves); `headers` for the names no argument
    can have."""
    header_changes |= headers
    meta = EventMetadata(tenant=Tenant.BE, office="be-gent", actor="staff-1", causation_id=uuid.uuid4())
    event = MenteeRegistered(mentee_id=uuid.uuid4())
    envelope = EventEnvelope.record(NewEvent(event, meta), f"mentee-{event.mentee_id}", 1, utc_now())
    key, body, sent = to_kafka(envelope, "intake")
    body = body if value is None else value
    if signed:
        sent = signing_key("intake").sign(sent, body)
    changed = [(k, header_changes.get(k, v)) for k, v in sent if header_changes.get(k, v) is not ABSENT]
    if signed and not {KEY_ID, SIGNATURE} & set(header_changes):
        changed = signing_key("intake").sign(changed, body)
    return ConsumerRecord(topic, 0, 0, 0, 0, key, body, None, 0, 0, changed)


def careful(rec: ConsumerRecord) -> tuple | None:
    envelope, refusal = admit(rec.topic, list(rec.headers), rec.value, PRODUCERS, KEYRING)
    if envelope is None or refusal:
        return None
    try:
        return ledger_row(envelope)
    except ValueError:
        return None


def test_a_plain_record_gives_the_careful_paths_row():
    rec = record()
    fast, slow = fast_row(rec, PRODUCERS, KEYRING), careful(rec)
    assert fast is not None and slow is not None
    ids = (0, 10, 11)  # event, correlation and causation ids: text for COPY, which asyncpg parses
    assert [uuid.UUID(fast[i]) for i in ids] == [slow[i] for i in ids]
    assert [v for i, v in enumerate(fast[:-1]) if i not in ids] == [v for i, v in enumerate(slow[:-1]) if i not in ids]
    assert json.loads(fast[-1]) == slow[-1]  # the data: the body's text, the same JSON


@pytest.mark.parametrize(
    "rec",
    [
        record(topic="duo.matching.events"),  # not the topic's producer
        record(ce_source=b"/duo/matching"),
        record(ce_office=b"nl-amsterdam"),  # an office of another branch
        record(ce_office=b"be-nowhere"),
        record(ce_tenant=b"XX"),
        record(ce_schemaversion=b"0"),  # an older version: upcast by the careful path
        record(ce_type=b"MenteeTeleported"),
        record(ce_specversion=b"0.3"),
        record(ce_streamversion=b"0"),
        record(ce_id=ABSENT),
        record(ce_id=None),  # present, with no value
        record(ce_id=b"urn:uuid:" + str(uuid.uuid4()).encode()),  # pydantic reads it; COPY's parser would not
        record(ce_correlationid=str(uuid.uuid4()).upper().encode()),
        record(value=b'{"mentee_id": "not a uuid"}'),
        record(value=b"[1, 2]"),
        record(value=b"{not json"),
        record(headers={"content-type": b"\xff\xfe"}),  # a header it does not need, yet not UTF-8: parked live
        record(ce_recordedtime=b"20240101T101010+0000"),  # fromisoformat reads it, the envelope model does not
        record(ce_streamversion=b"1_0"),
        record(ce_type=None),  # no value at all
        record(ce_source=None),
        record(signed=False),  # no signature: parked live
        record(headers={SIGNATURE: b"AAAA"}),  # a signature that does not verify
        record(headers={KEY_ID: b"intake-0000000000000000"}),  # a key the keyring does not know
    ],
)
def test_anything_unusual_is_left_to_the_careful_path(rec):
    assert fast_row(rec, PRODUCERS, KEYRING) is None


@pytest.mark.parametrize(
    "rec",
    [record(signed=False), record(headers={SIGNATURE: b"AAAA"}), record(headers={KEY_ID: b"intake-0000000000000000"})],
)
def test_what_its_producer_did_not_sign_is_not_counted_on_either_path(rec):
    assert fast_row(rec, PRODUCERS, KEYRING) is None and careful(rec) is None
