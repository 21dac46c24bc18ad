"""Event signing keys for unit tests: one per producing service, in memory, and the keyring that knows them."""

from __future__ import annotations

from functools import cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.events.signing import Keyring, PublishedKey, SigningKey

SERVICES = ("intake", "matching", "tracking")


@cache
def signing_key(service: str) -> SigningKey:
    return SigningKey(service, Ed25519PrivateKey.generate())


KEYRING = Keyring(
    {
        key.key_id: PublishedKey(key.key_id, key.producer, key.private_key.public_key(), "2026-01-01T00:00:00+00:00")
        for key in map(signing_key, SERVICES)
    }
)
