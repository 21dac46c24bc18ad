"""The messages a subscriber verified in the batch it is applying, by event id: the digest of each
(shared/events/signing.py, `verified_form_digest`), for an effect that keeps it.

Reporting keeps it in its ledger, keyed, so that its rebuild verifies again only the messages that differ from
what it verified once (docs/adr/0033). A context variable rather than a parameter: the subscriber sets it
around the batch's effects, which run in its task, and no other consumer's effects need to know of it. An event
applied outside that batch (a held successor applied later, a parked event replayed) has no digest here: its
next rebuild verifies it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType

_NONE: Mapping[uuid.UUID, bytes] = MappingProxyType({})
_VERIFIED: ContextVar[Mapping[uuid.UUID, bytes]] = ContextVar("verified_digests", default=_NONE)


@contextmanager
def verified_in_batch(digests: Mapping[uuid.UUID, bytes]) -> Iterator[None]:
    """While the batch's effects run: the digest of each message verified in it, by its event id."""
    token = _VERIFIED.set(digests)
    try:
        yield
    finally:
        _VERIFIED.reset(token)


def verified_digest(event_id: uuid.UUID) -> bytes | None:
    """The digest of the message of `event_id` the running batch verified; None when it verified none."""
    return _VERIFIED.get().get(event_id)
