"""Events as their producer's relay would publish them: signed with the test session's key of that service.

The session's key folder (DUO_EVENT_KEYS_DIR, set in tests/conftest.py) is the one the services under test sign
and verify with, so an event signed here is genuine to them.
"""

from __future__ import annotations

from shared.events.envelope import EventEnvelope
from shared.events.keyfiles import EmbeddedSigner, KeyringFile, event_keyring, keys_folder
from shared.events.signing import SigningKey
from shared.events.wire import to_kafka


def signing_key(service: str) -> SigningKey:
    """The service's current key in the session's folder (made on first use)."""
    return EmbeddedSigner(keys_folder(), service).current()


def signed_kafka(envelope: EventEnvelope, service: str) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """Key, value and headers of `envelope` as `service`'s relay sends them."""
    key, value, headers = to_kafka(envelope, service)
    return key, value, signing_key(service).sign(headers, value)


def keyring() -> KeyringFile:
    """The session's keyring, as a consumer verifies with it."""
    return event_keyring()
