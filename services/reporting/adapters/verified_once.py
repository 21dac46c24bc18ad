"""Verified once: reporting keeps, with each fact in its ledger, a keyed digest of the message it verified, so that
its rebuild verifies the signature only of messages that differ from one it verified (docs/adr/0033).

The digest is an HMAC-SHA256, under a key derived from reporting's own chain key, of `verified_form_digest`
(shared/events/signing.py: the signature and exactly the signed bytes). Keyed, so that someone who can write
reporting's database but does not hold the key cannot vouch for a forgery by writing its digest. A message whose
keyed digest is one the ledger keeps for its event id gets every check of the keyring again (its type, its key
still in the keyring and its producer's) but the signature's arithmetic; any other message (new, forged, changed,
signed again) is verified as before. What the rebuild writes keeps the digests too, so the next one trusts them.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping

import asyncpg

from shared.events.keyfiles import KeyringFile
from shared.events.signing import Keyring, verified_form_digest

DIGEST_COLUMN = "verified_digest"
_PURPOSE = b"duo reporting: messages verified once"  # the chain key keys this one use apart from any other


def digest_key(chain_key: bytes | None = None) -> bytes:
    """The key of the verified digests: derived from reporting's chain key (shared/eventstore/chain_key.py)."""
    # Imported here: it brings the platform's settings (pydantic-settings), which a replay worker, given the key
    # by its orders, would load at its start for nothing (shared/events/keyfiles.py says why that counts).
    from shared.eventstore.chain_key import configured_chain_key

    return hmac.digest(chain_key or configured_chain_key("reporting"), _PURPOSE, "sha256")


def keyed(key: bytes, digest: bytes) -> bytes:
    """What the ledger keeps for a verified message of this digest (`verified_form_digest`)."""
    return hmac.digest(key, digest, "sha256")


async def digests_kept(con: asyncpg.Connection, ledger: str, event_ids: Iterable[str]) -> frozenset[bytes]:
    """The keyed digests `ledger` keeps for these event ids (canonical UUID text): one indexed read per batch."""
    rows = await con.fetch(
        f"SELECT {DIGEST_COLUMN} FROM {ledger} WHERE event_id = ANY($1::uuid[]) AND {DIGEST_COLUMN} IS NOT NULL",
        list(event_ids),
    )
    return frozenset(row[0] for row in rows)


class VerifiedOnce:
    """A keyring that skips the signature's arithmetic for a message reporting verified before (its keyed digest is
    in `kept`), and remembers the keyed digest of each message it lets through, by its event id."""

    def __init__(self, keyring: KeyringFile | Keyring, key: bytes, kept: frozenset[bytes] = frozenset()) -> None:
        self.keyring = keyring
        self.key = key
        self.kept = kept
        self.passed: dict[str, bytes] = {}  # ce_id -> keyed digest of a message let through (of the batch)
        self.checked_in_full: set[str] = set()  # ce_ids of the batch's messages whose digest was not kept

    def batch(self, kept: frozenset[bytes]) -> None:
        """A new batch: the digests the ledger keeps for its event ids."""
        self.kept = kept
        self.passed = {}
        self.checked_in_full = set()

    def refusal(
        self, topic: str, attributes: Mapping[str, str], body: bytes, producers: Mapping[str, str]
    ) -> str | None:
        digest = keyed(self.key, verified_form_digest(attributes, body))
        verified_before = digest in self.kept
        if not verified_before:
            self.checked_in_full.add(attributes.get("ce_id", ""))
        refusal = self.keyring.refusal(topic, attributes, body, producers, verified_before=verified_before)
        if refusal is None:
            self.passed[attributes.get("ce_id", "")] = digest
        return refusal
