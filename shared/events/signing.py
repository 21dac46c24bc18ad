"""Signed events: each producing service signs what it publishes (Ed25519), every consumer verifies before applying.

`ce_source` is text anyone can write; a signature by a key the keyring gives to the topic's producer is not.
What is signed is a canonical byte form of every attribute a consumer relies on, exactly as it travels (the
`ce_*` headers, read as `from_kafka` reads them: the last of a repeated header counts), then the body's bytes:
a byte changed anywhere a consumer looks breaks the signature. The key id is signed too (docs/security.md,
docs/adr/0019).

The keyring says which key belongs to which producer; which event types a producer may emit, and so sign, is
the catalog's producers table (`PRODUCERS`), and the topic it emits them on is deploy/topics.toml's.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from nacl.exceptions import CryptoError
from nacl.signing import VerifyKey

from shared.events.catalog import PRODUCERS

SIGNATURE = "ce_signature"  # CloudEvents extension `signature`: base64 of the Ed25519 signature
KEY_ID = "ce_keyid"  # CloudEvents extension `keyid`: which key of the keyring signed
Value = TypeVar("Value", bytes, bytes | None)  # a Kafka header's value: bytes, or None where it is present without one
FORMAT = "duo-event-signature/1"  # the canonical form's name: a new form gets a new name
# Every attribute a consumer relies on (shared/events/wire.py), the key id included.
SIGNED_ATTRIBUTES = (
    "ce_specversion",
    "ce_id",
    "ce_type",
    "ce_source",
    "ce_subject",
    "ce_time",
    "ce_schemaversion",
    "ce_streamversion",
    "ce_tenant",
    "ce_office",
    "ce_recordedtime",
    "ce_actor",
    "ce_correlationid",
    "ce_causationid",
    "ce_chainhash",
    KEY_ID,
)
_ALLOWED_TYPES = {producer: frozenset(model.event_type for model in models) for producer, models in PRODUCERS.items()}


def canonical_bytes(attributes: Mapping[str, str], body: bytes) -> bytes:
    """What is signed: the signed attributes as one JSON array (an absent one as null, so absent and empty
    differ; non-ASCII escaped, so there is one spelling), a newline (escaped inside JSON strings, so the
    array ends there), then the body as it travels."""
    head = json.dumps([FORMAT, *(attributes.get(name) for name in SIGNED_ATTRIBUTES)], separators=(",", ":"))
    return head.encode() + b"\n" + body


def verified_form_digest(attributes: Mapping[str, str], body: bytes) -> bytes:
    """SHA-256 of exactly what a verification looks at: the signature (as one JSON string, which holds no raw
    newline, so the newline after it ends it) and the signed bytes. Two messages with the same digest are alike
    to a verification; reporting keeps this digest, keyed, for every fact it verified, so that its rebuild
    verifies again only what differs (docs/adr/0033)."""
    head = json.dumps(attributes.get(SIGNATURE)).encode()
    return hashlib.sha256(head + b"\n" + canonical_bytes(attributes, body)).digest()


def key_id_of(producer: str, public_key: Ed25519PublicKey) -> str:
    """A key's id: its producer's name (for people) and its fingerprint (which producer it is, the keyring says)."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return f"{producer}-{hashlib.sha256(raw).hexdigest()[:16]}"


@dataclass(frozen=True)
class SigningKey:
    """A producer's private key, as its relay signs with it."""

    producer: str
    private_key: Ed25519PrivateKey
    key_id: str = ""

    def __post_init__(self) -> None:
        if not self.key_id:
            object.__setattr__(self, "key_id", key_id_of(self.producer, self.private_key.public_key()))

    def sign(self, headers: Sequence[tuple[str, Value]], body: bytes) -> list[tuple[str, Value]]:
        """The headers with this key's id and the signature over them and the body added (a header without a value
        stays as it is, unsigned)."""
        signed: list[tuple[str, Value]] = [(name, value) for name, value in headers if name not in (KEY_ID, SIGNATURE)]
        signed.append((KEY_ID, self.key_id.encode()))
        # As a consumer reads them: the last of a repeated header counts, one without a value is absent.
        attributes = {name: value.decode() for name, value in signed if name in SIGNED_ATTRIBUTES and value is not None}
        signature = self.private_key.sign(canonical_bytes(attributes, body))
        signed.append((SIGNATURE, base64.b64encode(signature)))
        return signed


@dataclass(frozen=True)
class PublishedKey:
    """A public key of the keyring: whose it is, and whether it still signs (a retired key only verifies history)."""

    key_id: str
    producer: str
    public_key: Ed25519PublicKey
    created: str
    retired: str | None = None

    @functools.cached_property
    def verifier(self) -> VerifyKey:
        """The same key for verifying with libsodium (PyNaCl): about half the CPU of OpenSSL's Ed25519
        verification here (54 against 104 us), paid by every consumer and every rebuild for every event
        (docs/performance.md, section 6). Keys are still made, stored and used to sign with `cryptography`."""
        return VerifyKey(self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw))


class Verifies(Protocol):
    """What a consumer asks before applying an event: why it must not be applied, or None (it is authentic)."""

    def refusal(
        self, topic: str, attributes: Mapping[str, str], body: bytes, producers: Mapping[str, str]
    ) -> str | None:
        """The reason to park this message, naming what is wrong with it; None when its producer vouches for it."""
        ...


@dataclass(frozen=True)
class Keyring:
    """The producers' public keys by key id."""

    keys: Mapping[str, PublishedKey] = field(default_factory=dict)

    def refusal(
        self,
        topic: str,
        attributes: Mapping[str, str],
        body: bytes,
        producers: Mapping[str, str],
        *,
        verified_before: bool = False,
    ) -> str | None:
        """Why the message must not be applied, or None: a type the topic's producer may not emit, no signature,
        a key the keyring does not know or that belongs to another producer, a signature that does not match.

        `verified_before`: these very bytes and signature passed a verification by this consumer before (their
        digest, `verified_form_digest`, says so): every check is made again but the signature's arithmetic."""
        producer = producers.get(topic)
        event_type = attributes.get("ce_type", "")
        if producer is None or event_type not in _ALLOWED_TYPES.get(producer, ()):
            return f"forbidden_type: {producer or 'no producer'} may not emit {event_type[:100]!r} on {topic}"
        return self.signature_refusal(attributes, body, producer, f", the producer of {topic}", verified_before)

    def signature_refusal(
        self, attributes: Mapping[str, str], body: bytes, producer: str, whose: str = "", verified_before: bool = False
    ) -> str | None:
        """Why the message is not signed by a key of `producer`, or None: no signature, a key the keyring does not
        know (a revoked one: whatever it signed is refused, verified before or not) or that belongs to another
        producer, a signature that does not match (not computed again when `verified_before`)."""
        key_id, signature = attributes.get(KEY_ID), attributes.get(SIGNATURE)
        if not key_id or not signature:
            return f"unsigned: the event carries no {'key id' if not key_id else 'signature'}"
        key = self.keys.get(key_id)
        if key is None:
            return f"unknown_key: key {key_id[:100]!r} is not in the keyring"
        if key.producer != producer:
            return f"foreign_key: key {key_id!r} belongs to {key.producer}, not to {producer}{whose}"
        if verified_before:
            return None
        try:
            key.verifier.verify(canonical_bytes(attributes, body), base64.b64decode(signature, validate=True))
        except (CryptoError, binascii.Error, ValueError, TypeError):
            return f"bad_signature: the event does not match its signature by key {key_id!r}"
        return None

    def to_document(self) -> dict[str, Any]:
        """The keyring as JSON (the ConfigMap's `keyring.json`, the embedded stack's file)."""
        return {
            "keys": [
                {
                    "key_id": k.key_id,
                    "producer": k.producer,
                    "public_key": base64.b64encode(k.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode(),
                    "created": k.created,
                    "retired": k.retired,
                }
                for k in self.keys.values()
            ]
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Keyring:
        """The keyring of a JSON document (`to_document`); a key whose id is not its fingerprint is refused."""
        keys = {}
        for entry in document.get("keys", ()):
            public_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(entry["public_key"], validate=True))
            if entry["key_id"] != key_id_of(entry["producer"], public_key):
                raise ValueError(f"keyring: key id {entry['key_id']!r} is not the fingerprint of its key")
            keys[entry["key_id"]] = PublishedKey(
                entry["key_id"], entry["producer"], public_key, entry.get("created", ""), entry.get("retired")
            )
        return cls(keys)

    def with_key(self, key: PublishedKey) -> Keyring:
        return Keyring({**self.keys, key.key_id: key})

    def without(self, key_id: str) -> Keyring:
        return Keyring({k: v for k, v in self.keys.items() if k != key_id})
