"""Crypto-shredding: each data subject's values sealed with a key of their own, so destroying that key erases them.

A deleted row lives on in PostgreSQL's WAL, in dead tuples, in replicas and in backups; none of them can be edited.
So personal values are never written in clear: each subject has a random 256-bit data key, the values are sealed
with it (AES-256-GCM), and the data key itself is stored wrapped (AES-256-GCM again) by a master key that is never
in the database. Erasure deletes the subject's wrapped key: every copy of the sealed values, anywhere, is then
ciphertext without a key (docs/adr/0020).

Every seal and wrap binds its context (the subject's id, what the value is) as associated data, so a sealed value
or a wrapped key moved onto another subject's row does not open. Values looked up by equality (an e-mail address)
are found through a keyed blind index (HMAC-SHA-256), never stored in clear.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.local_secrets import ensure_secret_file

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # GCM's standard nonce; random per seal (2^32 seals per key stay far inside its bound)


class DoesNotOpen(RuntimeError):
    """A sealed value or wrapped key that does not open: another key, another context, or tampered bytes."""


class MasterKeyConfigurationError(RuntimeError):
    """The configured master key is not the base64 of 32 bytes."""


def _seal(key: bytes, plaintext: bytes, context: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, context)


def _open(key: bytes, sealed: bytes, context: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context)
    except InvalidTag:
        raise DoesNotOpen("the value does not open with this key in this context") from None


@dataclass(frozen=True)
class DataKey:
    """One subject's key: seals and opens that subject's values. Lives in memory only, never stored unwrapped."""

    secret: bytes = field(repr=False)

    def seal(self, plaintext: bytes, context: bytes) -> bytes:
        """Nonce + ciphertext + tag of `plaintext`, bound to `context`."""
        return _seal(self.secret, plaintext, context)

    def open(self, sealed: bytes, context: bytes) -> bytes:
        """The plaintext of `seal(plaintext, context)`; DoesNotOpen for any other key, context or bytes."""
        return _open(self.secret, sealed, context)


@dataclass(frozen=True)
class MasterKey:
    """The service's key-encryption key, held outside the database (a file of the data folder, or a Secret).

    Its `key_id` (a fingerprint, not the key) is stored with each wrapped key, so a service started with another
    master key says so instead of failing to open every row.
    """

    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.secret) != KEY_BYTES:
            raise MasterKeyConfigurationError(f"a master key is {KEY_BYTES} bytes, not {len(self.secret)}")

    @staticmethod
    def generate() -> MasterKey:
        return MasterKey(secrets.token_bytes(KEY_BYTES))

    @property
    def key_id(self) -> str:
        return hmac.new(self.secret, b"duo master key id", hashlib.sha256).hexdigest()[:16]

    def new_data_key(self, subject: bytes) -> tuple[DataKey, bytes]:
        """A fresh data key for `subject` and its wrapped form, the one to store."""
        key = DataKey(secrets.token_bytes(KEY_BYTES))
        return key, self.wrap(key, subject)

    def wrap(self, key: DataKey, subject: bytes) -> bytes:
        """`key` wrapped for `subject`: what is stored (a rotation wraps a data key again by the next master key)."""
        return _seal(self.secret, key.secret, b"data key\x00" + subject)

    def unwrap(self, wrapped: bytes, subject: bytes) -> DataKey:
        """The data key `new_data_key(subject)` wrapped; DoesNotOpen if it was wrapped for another subject or key."""
        return DataKey(_open(self.secret, wrapped, b"data key\x00" + subject))

    def blind_index(self, purpose: str, value: str) -> bytes:
        """A keyed digest of `value` to find it by equality: without the master key it confirms no guess.
        Each purpose has a key of its own, derived from the master key."""
        index_key = HKDF(
            algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=b"duo blind index\x00" + purpose.encode()
        ).derive(self.secret)
        return hmac.new(index_key, value.encode(), hashlib.sha256).digest()

    def encoded(self) -> str:
        """The key as written to its file or Secret: URL-safe base64."""
        return base64.urlsafe_b64encode(self.secret).decode()

    @staticmethod
    def decode(text: str, where: str) -> MasterKey:
        """The key of its base64 text, URL-safe or standard (`openssl rand -base64 32`); MasterKeyConfigurationError
        naming `where` it came from if it is not one."""
        try:
            secret = base64.urlsafe_b64decode(text.strip().encode())
        except (binascii.Error, ValueError):
            raise MasterKeyConfigurationError(f"{where}: not base64") from None
        if len(secret) != KEY_BYTES:
            raise MasterKeyConfigurationError(f"{where}: a master key is {KEY_BYTES} bytes, not {len(secret)}")
        return MasterKey(secret)


@dataclass(frozen=True)
class MasterKeyRing:
    """The master key that wraps new data keys, and the ones being rotated out, which still unwrap theirs.

    Rotation ends what erasure cannot reach at once: WAL, replicas and backups hold each person's data key wrapped
    by the master key of their time. Once every data key is wrapped again by the current key and the previous one
    is destroyed, none of those copies opens, an erased person's included (docs/adr/0020).
    """

    current: MasterKey
    previous: tuple[MasterKey, ...] = ()

    @property
    def keys(self) -> tuple[MasterKey, ...]:
        return (self.current, *self.previous)

    def by_id(self, key_id: str) -> MasterKey | None:
        """The key of this fingerprint, if the ring holds it."""
        return next((key for key in self.keys if key.key_id == key_id), None)


def ensure_master_key(path: Path) -> MasterKey:
    """The master key kept in `path`, made on first use, readable by its owner only (one atomic link: processes
    starting together all read the one key that won, shared/local_secrets.py)."""
    return MasterKey.decode(ensure_secret_file(path, lambda: MasterKey.generate().encoded() + "\n"), str(path))


def configured_key_ring(current: str | None, previous: str, variable: str, key_file: Path) -> MasterKeyRing:
    """The current master key (`current`, the text of environment variable `variable`, or else the one kept in
    `key_file`, made there on first use: the embedded stack) and the previous ones being rotated out (`previous`,
    comma-separated, from `<variable>_PREVIOUS`)."""
    previous_variable = f"{variable}_PREVIOUS"
    return MasterKeyRing(
        MasterKey.decode(current, variable) if current else ensure_master_key(key_file),
        tuple(MasterKey.decode(text, previous_variable) for text in previous.split(",") if text.strip()),
    )
