"""Verified once (docs/adr/0033): a message whose keyed digest reporting kept skips only the signature's arithmetic;
every other check of the keyring stays (a revoked key, a type its producer may not emit), and a message differing
in any byte, or in its signature, is verified in full."""

from __future__ import annotations

import base64

from services.reporting.adapters.verified_once import VerifiedOnce, keyed
from shared.events.signing import SIGNATURE, Keyring, verified_form_digest
from tests.unit.signing_keys import KEYRING, signing_key
from tests.unit.test_event_signing import PRODUCERS, formed, message, said

TOPIC = "duo.matching.events"
KEY = b"k" * 32


def kept(*messages: tuple[dict[str, str], bytes]) -> frozenset[bytes]:
    return frozenset(keyed(KEY, verified_form_digest(headers, body)) for headers, body in messages)


def test_a_message_verified_before_passes_without_its_arithmetic_and_its_digest_is_remembered():
    headers, body = message(formed(), "matching", "matching")
    verifier = VerifiedOnce(KEYRING, KEY, kept((headers, body)))
    assert verifier.refusal(TOPIC, headers, body, PRODUCERS) is None
    assert verifier.checked_in_full == set()
    assert verifier.passed == {headers["ce_id"]: keyed(KEY, verified_form_digest(headers, body))}


def test_a_changed_byte_or_another_signature_is_verified_in_full_and_refused():
    headers, body = message(formed(), "matching", "matching")
    verifier = VerifiedOnce(KEYRING, KEY, kept((headers, body)))
    changed = body.replace(b'"Q"', b'"C"')
    assert said(verifier.refusal(TOPIC, headers, changed, PRODUCERS)).startswith("bad_signature")
    other = {**headers, SIGNATURE: base64.b64encode(b"\0" * 64).decode()}
    assert said(verifier.refusal(TOPIC, other, body, PRODUCERS)).startswith("bad_signature")
    assert verifier.checked_in_full == {headers["ce_id"]}
    assert verifier.passed == {}


def test_a_digest_kept_under_another_key_is_not_trusted():
    headers, body = message(formed(), "matching", "matching")
    verifier = VerifiedOnce(KEYRING, b"x" * 32, kept((headers, body)))
    assert verifier.refusal(TOPIC, headers, body, PRODUCERS) is None
    assert verifier.checked_in_full == {headers["ce_id"]}


def test_what_a_revoked_key_signed_is_refused_though_verified_before():
    headers, body = message(formed(), "matching", "matching")
    revoked = KEYRING.without(signing_key("matching").key_id)
    verifier = VerifiedOnce(revoked, KEY, kept((headers, body)))
    assert said(verifier.refusal(TOPIC, headers, body, PRODUCERS)).startswith("unknown_key")


def test_a_type_the_topic_s_producer_may_not_emit_is_refused_though_verified_before():
    headers, body = message(formed(), "matching", "matching")
    verifier = VerifiedOnce(Keyring(KEYRING.keys), KEY, kept((headers, body)))
    assert said(verifier.refusal("duo.tracking.events", headers, body, PRODUCERS)).startswith("forbidden_type")
