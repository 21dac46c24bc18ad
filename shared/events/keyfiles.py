"""Where the event signing keys live: the embedded stack's key folder, or the files Kubernetes mounts.

Embedded (`duo run`, tests): DUO_EVENT_KEYS_DIR, by default DUO_HOME/event-keys, holds `keyring.json` (every
producer's public keys) and `<service>/<key id>.pem` (private keys, readable by their owner only). A service's
first key is made on its first start, as the token key is. `duo keys rotate SERVICE` adds a key that signs from
then on while the older ones still verify; `duo keys retire KEY_ID` destroys a private key (its public key still
verifies the history it signed); `duo keys revoke KEY_ID` drops a key from the keyring (a stolen key:
docs/security.md).

Kubernetes: DUO_EVENT_SIGNING_KEY_FILE is the service's own private key (a Secret of its own) and
DUO_EVENT_KEYRING_FILE the public keyring (a ConfigMap every consumer mounts). Both are read again when they
change, so a key is rotated without a restart.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.events.signing import Keyring, PublishedKey, SigningKey, key_id_of

# structlog and the platform's settings (pydantic-settings) are imported where they are used: a rebuild's replay
# workers read a keyring file (KeyringFile) and nothing else here, and the two cost each worker about 0.13 s of
# its start, paid on the rebuild's clock.

KEYRING_FILE = "keyring.json"
LOOK_AGAIN_S = 1.0  # how often a keyring file is looked at for a change (a revoked key stops verifying within it)


def keys_folder(environ: Mapping[str, str] | None = None) -> Path:
    """The embedded stack's key folder: DUO_EVENT_KEYS_DIR, or DUO_HOME/event-keys."""
    from shared.config import PlatformEnvironment

    platform = PlatformEnvironment.from_environ(environ)
    return (platform.duo_event_keys_dir or platform.duo_home / "event-keys").resolve()


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def read_keyring(path: Path) -> Keyring:
    """The keyring in a file; empty if there is none yet (no producer has started)."""
    try:
        return Keyring.from_document(json.loads(path.read_text()))
    except FileNotFoundError:
        return Keyring()


class KeyringFile:
    """A keyring read from a file, and read again when the file changes: looked at once a second, and at once
    for a key it does not know (a rotation's new key is in the file before its first event is signed)."""

    def __init__(self, path: Path, look_again_s: float = LOOK_AGAIN_S) -> None:
        self.path = path
        self._look_again_s = look_again_s
        self._seen = _identity(path)
        self._keyring = read_keyring(path)
        self._looked = time.monotonic()

    def current(self) -> Keyring:
        if time.monotonic() - self._looked >= self._look_again_s:
            self._reload_if_changed()
        return self._keyring

    def _reload_if_changed(self) -> None:
        self._looked = time.monotonic()
        seen = _identity(self.path)
        if seen == self._seen:
            return
        try:
            self._keyring, self._seen = read_keyring(self.path), seen
        except (OSError, ValueError, KeyError, TypeError) as err:
            # A keyring that cannot be read is not an empty one: the last good one stays until it can be read.
            import structlog

            structlog.get_logger("event-keys").error(
                "event keyring unreadable, the last one read stays", path=str(self.path), error=type(err).__name__
            )

    def refusal(
        self,
        topic: str,
        attributes: Mapping[str, str],
        body: bytes,
        producers: Mapping[str, str],
        *,
        verified_before: bool = False,
    ) -> str | None:
        """Keyring.refusal on the file's current keyring (read again for a key it does not know)."""
        refusal = self.current().refusal(topic, attributes, body, producers, verified_before=verified_before)
        if refusal is not None and refusal.startswith("unknown_key"):
            self._reload_if_changed()
            refusal = self._keyring.refusal(topic, attributes, body, producers, verified_before=verified_before)
        return refusal

    def signature_refusal(self, attributes: Mapping[str, str], body: bytes, producer: str) -> str | None:
        """Keyring.signature_refusal on the file's current keyring (read again for a key it does not know)."""
        refusal = self.current().signature_refusal(attributes, body, producer)
        if refusal is not None and refusal.startswith("unknown_key"):
            self._reload_if_changed()
            refusal = self._keyring.signature_refusal(attributes, body, producer)
        return refusal


def event_keyring(environ: Mapping[str, str] | None = None) -> KeyringFile:
    """The keyring every consumer verifies with: DUO_EVENT_KEYRING_FILE, or the embedded key folder's."""
    from shared.config import PlatformEnvironment

    if path := PlatformEnvironment.from_environ(environ).duo_event_keyring_file:
        return KeyringFile(path)
    return KeyringFile(keys_folder(environ) / KEYRING_FILE)


class SigningKeyFile:
    """A service's private key in a PEM file (a Kubernetes Secret), read again when the file changes."""

    def __init__(self, path: Path, producer: str) -> None:
        self.path, self.producer = path, producer
        self._seen: tuple[int, int] | None = None
        self._key: SigningKey | None = None

    def current(self) -> SigningKey:
        seen = _identity(self.path)
        if self._key is None or seen != self._seen:
            self._key, self._seen = SigningKey(self.producer, _load_private(self.path)), seen
        return self._key


class EmbeddedSigner:
    """A service's newest key in the embedded key folder, made on first use; a rotation is seen at once."""

    def __init__(self, folder: Path, producer: str) -> None:
        self.folder, self.producer = folder, producer
        self._keyring = KeyringFile(folder / KEYRING_FILE)
        self._key: SigningKey | None = None
        ensure_signing_key(folder, producer)

    def current(self) -> SigningKey:
        self._keyring._reload_if_changed()  # a stat per batch: a rotated key signs the very next batch
        newest = _newest_key(self._keyring.current(), self.producer)
        if newest is None:
            raise LookupError(f"no key of {self.producer} may sign: every one is retired or revoked (duo keys rotate)")
        if self._key is None or self._key.key_id != newest.key_id:
            self._key = SigningKey(self.producer, _load_private(self.folder / self.producer / f"{newest.key_id}.pem"))
        return self._key


def event_signer(service: str, environ: Mapping[str, str] | None = None) -> SigningKeyFile | EmbeddedSigner:
    """How a service's relay signs: DUO_EVENT_SIGNING_KEY_FILE, or the embedded key folder (a key made on first use)."""
    from shared.config import PlatformEnvironment

    if path := PlatformEnvironment.from_environ(environ).duo_event_signing_key_file:
        return SigningKeyFile(path, service)
    return EmbeddedSigner(keys_folder(environ), service)


def _newest_key(keyring: Keyring, producer: str) -> PublishedKey | None:
    mine = [k for k in keyring.keys.values() if k.producer == producer and k.retired is None]
    return max(mine, key=lambda k: k.created) if mine else None


def _load_private(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """The key folder's lock: services starting together, and `duo keys`, change the keyring one at a time."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_keyring(folder: Path, keyring: Keyring) -> None:
    """Replaced in one rename: a reader sees the old keyring or the new one, never half of one."""
    temporary = folder / f".{KEYRING_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    temporary.write_text(json.dumps(keyring.to_document(), indent=2) + "\n")
    os.replace(temporary, folder / KEYRING_FILE)


def _new_key(folder: Path, producer: str, keyring: Keyring) -> PublishedKey:
    """A new key pair: the private key written first, then the keyring, so a key signs only once it verifies."""
    private = Ed25519PrivateKey.generate()
    key_id = key_id_of(producer, private.public_key())
    (folder / producer).mkdir(mode=0o700, exist_ok=True)
    path = folder / producer / f"{key_id}.pem"
    path.touch(mode=0o600)
    path.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    # Microseconds: two rotations within a second still order.
    published = PublishedKey(key_id, producer, private.public_key(), datetime.now(UTC).isoformat())
    _write_keyring(folder, keyring.with_key(published))
    return published


def ensure_signing_key(folder: Path, producer: str) -> None:
    """Make the producer's first key pair, unless it has a key that signs."""
    with _locked(folder):
        keyring = read_keyring(folder / KEYRING_FILE)
        if _newest_key(keyring, producer) is None:
            _new_key(folder, producer, keyring)


def rotate(folder: Path, producer: str) -> PublishedKey:
    """A new key for the producer: it signs from the next batch on; the older keys still verify."""
    with _locked(folder):
        return _new_key(folder, producer, read_keyring(folder / KEYRING_FILE))


def retire(folder: Path, key_id: str) -> PublishedKey:
    """The key signs no more (its private key is destroyed); its public key still verifies what it signed."""
    with _locked(folder):
        keyring = read_keyring(folder / KEYRING_FILE)
        key = _known(keyring, key_id)
        newest = _newest_key(keyring, key.producer)
        if newest is not None and newest.key_id == key_id:
            raise ValueError(f"{key_id} is {key.producer}'s signing key: rotate first (duo keys rotate {key.producer})")
        retired = PublishedKey(key.key_id, key.producer, key.public_key, key.created, datetime.now(UTC).isoformat())
        _write_keyring(folder, keyring.with_key(retired))
        (folder / key.producer / f"{key_id}.pem").unlink(missing_ok=True)
        return retired


def revoke(folder: Path, key_id: str) -> PublishedKey:
    """The key is dropped from the keyring: nothing it signed is applied any more, history included. If it was
    its producer's signing key, a new one signs from the next batch on (republish the store: docs/security.md)."""
    with _locked(folder):
        keyring = read_keyring(folder / KEYRING_FILE)
        key = _known(keyring, key_id)
        keyring = keyring.without(key_id)
        if _newest_key(keyring, key.producer) is None:
            _new_key(folder, key.producer, keyring)
        else:
            _write_keyring(folder, keyring)
        (folder / key.producer / f"{key_id}.pem").unlink(missing_ok=True)
        return key


def _known(keyring: Keyring, key_id: str) -> PublishedKey:
    if key_id not in keyring.keys:
        raise KeyError(f"no key {key_id!r} in the keyring (duo keys list)")
    return keyring.keys[key_id]
