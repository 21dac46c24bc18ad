"""Signed events: what the relay signs verifies; any change, a missing or unknown or foreign key, or a type its
producer may not emit is refused with a reason naming it; keys are made, rotated, retired and revoked."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

import pytest

from shared.clock import utc_now
from shared.events.catalog import DuoFormed, JobFound
from shared.events.envelope import DomainEvent, EventEnvelope, EventMetadata, NewEvent
from shared.events.keyfiles import KEYRING_FILE, EmbeddedSigner, KeyringFile, read_keyring, retire, revoke, rotate
from shared.events.signing import KEY_ID, SIGNATURE, SIGNED_ATTRIBUTES, Keyring
from shared.events.wire import to_kafka
from shared.tenancy import Tenant
from tests.unit.signing_keys import KEYRING, signing_key

PRODUCERS = {"duo.matching.events": "matching", "duo.tracking.events": "tracking"}


def formed() -> DuoFormed:
    return DuoFormed(
        duo_id=uuid.uuid4(),
        proposal_id=uuid.uuid4(),
        mentee_id=uuid.uuid4(),
        mentor_id=uuid.uuid4(),
        province=None,
        job_target_sector="Q",
        formed_on=utc_now().date(),
        days_to_match=3,
        score=0.5,
        config_version="v1",
    )


def message(event: DomainEvent, service: str, signer: str | None = None) -> tuple[dict[str, str], bytes]:
    """Headers (as a consumer reads them) and body of `event` as `service` publishes it, signed by `signer`'s key."""
    meta = EventMetadata(tenant=Tenant.BE, office="be-gent", actor="staff-1", causation_id=uuid.uuid4())
    envelope = EventEnvelope.record(NewEvent(event, meta), f"duo-{uuid.uuid4()}", 1, utc_now())
    envelope = envelope.model_copy(update={"chain_hash": "ab" * 32})
    _, body, headers = to_kafka(envelope, service)
    if signer is not None:
        headers = signing_key(signer).sign(headers, body)
    return {k: v.decode() for k, v in headers}, body


def said(reason: str | None) -> str:
    """Why the message was refused; failing here means it was accepted."""
    assert reason is not None, "accepted, not refused"
    return reason


def test_what_the_producer_signed_verifies():
    headers, body = message(formed(), "matching", "matching")
    assert KEYRING.refusal("duo.matching.events", headers, body, PRODUCERS) is None


# The key id changed names another key (unknown); the type changed names one its producer may not emit.
@pytest.mark.parametrize("attribute", [a for a in SIGNED_ATTRIBUTES if a not in (KEY_ID, "ce_type")])
def test_any_changed_attribute_breaks_the_signature(attribute):
    headers, body = message(formed(), "matching", "matching")
    changed = {**headers, attribute: (headers.get(attribute) or "") + "0"}
    reason = KEYRING.refusal("duo.matching.events", changed, body, PRODUCERS)
    assert reason is not None and reason.startswith("bad_signature:")


def test_a_changed_data_field_breaks_the_signature():
    headers, body = message(formed(), "matching", "matching")
    forged = body.replace(b'"job_target_sector":"Q"', b'"job_target_sector":"C"')
    assert forged != body
    assert said(KEYRING.refusal("duo.matching.events", headers, forged, PRODUCERS)).startswith("bad_signature:")


def test_an_absent_attribute_is_not_an_empty_one():
    headers, body = message(formed(), "matching", "matching")
    headers.pop("ce_causationid")
    assert said(KEYRING.refusal("duo.matching.events", headers, body, PRODUCERS)).startswith("bad_signature:")


def test_refusals_name_what_is_wrong():
    unsigned, body = message(formed(), "matching")
    assert said(KEYRING.refusal("duo.matching.events", unsigned, body, PRODUCERS)).startswith("unsigned:")
    by_tracking, body = message(formed(), "matching", "tracking")
    reason = said(KEYRING.refusal("duo.matching.events", by_tracking, body, PRODUCERS))
    assert reason.startswith("foreign_key:") and "belongs to tracking, not to matching" in reason
    # Tracking's own key, on its own topic, for a type only matching may emit.
    on_tracking, body = message(formed(), "tracking", "tracking")
    reason = said(KEYRING.refusal("duo.tracking.events", on_tracking, body, PRODUCERS))
    assert reason == "forbidden_type: tracking may not emit 'DuoFormed' on duo.tracking.events"
    unknown, body = message(formed(), "matching", "matching")
    assert said(Keyring().refusal("duo.matching.events", unknown, body, PRODUCERS)).startswith("unknown_key:")
    garbled = {**unknown, SIGNATURE: "not base64!"}
    assert said(KEYRING.refusal("duo.matching.events", garbled, body, PRODUCERS)).startswith("bad_signature:")


# Ed25519's group order: S + L verifies under a lax check of the same equation (a second signature for the same
# event, what libsodium refuses as malleable).
ORDER_L = 2**252 + 27742317777372353535851937790883648493


@pytest.mark.parametrize("change", ["short", "long", "empty", "s_plus_order", "zeros"])
def test_a_signature_of_the_wrong_shape_or_a_second_form_of_one_is_refused(change):
    headers, body = message(formed(), "matching", "matching")
    raw = base64.b64decode(headers[SIGNATURE])
    s_plus_order = raw[:32] + (int.from_bytes(raw[32:], "little") + ORDER_L).to_bytes(32, "little")
    forged = {
        "short": raw[:63],
        "long": raw + b"\0",
        "empty": b"",
        "s_plus_order": s_plus_order,
        "zeros": bytes(64),
    }[change]
    changed = {**headers, SIGNATURE: base64.b64encode(forged).decode()}
    reason = said(KEYRING.refusal("duo.matching.events", changed, body, PRODUCERS))
    assert reason.startswith(("bad_signature:", "unsigned:")), reason


def test_a_keyring_whose_key_id_is_not_the_keys_fingerprint_is_refused():
    document = KEYRING.to_document()
    assert Keyring.from_document(document).keys.keys() == KEYRING.keys.keys()
    document["keys"][0]["producer"] = "someone"
    with pytest.raises(ValueError, match="not the fingerprint"):
        Keyring.from_document(document)


def job_found() -> JobFound:
    return JobFound(
        duo_id=uuid.uuid4(),
        job_id=uuid.uuid4(),
        mentee_id=uuid.uuid4(),
        sector="C",
        contract_type="permanent",
        hours_per_week=38,
        started_on=utc_now().date(),
    )


def test_keys_are_made_on_first_use_rotated_retired_and_revoked(tmp_path: Path):
    signer = EmbeddedSigner(tmp_path, "tracking")
    first = signer.current()
    keyring = KeyringFile(tmp_path / KEYRING_FILE, look_again_s=0)  # every change seen at once
    assert (tmp_path / "tracking" / f"{first.key_id}.pem").stat().st_mode & 0o077 == 0
    assert EmbeddedSigner(tmp_path, "tracking").current().key_id == first.key_id  # made once

    def verdict(key_id: str) -> str | None:
        _, body, headers = to_kafka(envelope, "tracking")
        key = first if key_id == first.key_id else signer.current()
        signed = {k: v.decode() for k, v in key.sign(headers, body)}
        return keyring.refusal("duo.tracking.events", signed, body, PRODUCERS)

    meta = EventMetadata(tenant=Tenant.BE, office="be-gent", actor="staff-1")
    envelope = EventEnvelope.record(NewEvent(job_found(), meta), f"duo-{uuid.uuid4()}", 1, utc_now())

    second = rotate(tmp_path, "tracking")
    assert signer.current().key_id == second.key_id  # the next batch signs with the new key
    assert verdict(second.key_id) is None  # a consumer that read the keyring before the rotation reads it again
    assert verdict(first.key_id) is None  # the old key still verifies
    with pytest.raises(ValueError, match="rotate first"):
        retire(tmp_path, second.key_id)
    retire(tmp_path, first.key_id)
    assert not (tmp_path / "tracking" / f"{first.key_id}.pem").exists()
    assert read_keyring(tmp_path / KEYRING_FILE).keys[first.key_id].retired is not None
    assert verdict(first.key_id) is None  # history it signed still verifies
    revoke(tmp_path, second.key_id)
    third = signer.current()
    assert third.key_id not in (first.key_id, second.key_id)  # revoking the signing key makes a new one
    _, body, headers = to_kafka(envelope, "tracking")
    stolen = {k: v.decode() for k, v in headers}
    stolen[KEY_ID] = second.key_id
    stolen[SIGNATURE] = base64.b64encode(b"x" * 64).decode()
    assert said(keyring.refusal("duo.tracking.events", stolen, body, PRODUCERS)).startswith("unknown_key:")


def test_duo_keys_rotates_lists_retires_and_refuses_what_it_cannot_do(tmp_path: Path, monkeypatch, capsys):
    from devtool.cli import main

    monkeypatch.setenv("DUO_EVENT_KEYS_DIR", str(tmp_path))
    first = EmbeddedSigner(tmp_path, "matching").current().key_id
    assert main(["keys", "rotate", "matching"]) == 0
    second = EmbeddedSigner(tmp_path, "matching").current().key_id
    assert second != first and f"matching signs with {second}" in capsys.readouterr().out
    assert main(["keys", "retire", second]) == 2 and "rotate first" in capsys.readouterr().out
    assert main(["keys", "retire", first]) == 0
    listed = capsys.readouterr().out
    assert f"{first}  matching  " in listed and "retired" in listed and f"{second}  matching  " in listed
    assert main(["keys", "revoke", "matching-0000000000000000"]) == 2
    assert "no key 'matching-0000000000000000'" in capsys.readouterr().out


def test_a_keyring_file_that_cannot_be_read_keeps_the_last_one_read(tmp_path: Path):
    signer = EmbeddedSigner(tmp_path, "matching")
    keyring = KeyringFile(tmp_path / KEYRING_FILE, look_again_s=0)
    headers, body = message(formed(), "matching")
    signed = {k: v.decode() for k, v in signer.current().sign([(k, v.encode()) for k, v in headers.items()], body)}
    assert keyring.refusal("duo.matching.events", signed, body, PRODUCERS) is None
    (tmp_path / KEYRING_FILE).write_text("{not json")  # half a file, a bad edit
    assert keyring.refusal("duo.matching.events", signed, body, PRODUCERS) is None
