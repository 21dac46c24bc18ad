"""The cursor of an audit trail's pages: opaque to the caller, it holds where the last page stopped and a digest of
the listing it continues (figure, day, slice, definitions asked), so that it cannot be carried to another listing,
where it would silently skip or repeat facts. A cursor that is not one this route gave, or that continues another
listing, is refused naming the field (422)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import date

from services.reporting.adapters.read_trail import TrailKey
from shared.commanding.errors import InvalidField

_FIELD = "cursor"
_DIGEST_CHARS = 16


def listing_of(
    figure: str, day: date, office: str | None, province: str | None, year: int | None, **asked: str | None
) -> dict[str, object]:
    """What a listing is of: its figure, day, slice and the definitions asked for (None: the branch's own)."""
    return {"figure": figure, "as_of": day, "office": office, "province": province, "year": year, **asked}


def listing_digest(listing: Mapping[str, object]) -> str:
    """A short digest of what a listing is of (listing_of)."""
    canonical = json.dumps({k: None if v is None else str(v) for k, v in listing.items()}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:_DIGEST_CHARS]


def cursor_after(key: TrailKey, digest: str) -> str:
    """The cursor of the page after `key`, in the listing of `digest`."""
    raw = json.dumps([str(key[0]), str(key[1]), digest], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def key_of(cursor: str, digest: str) -> TrailKey:
    """Where the page a cursor asks for starts; refused if it is no cursor of this route or of another listing."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        group, event, of = json.loads(raw)
        key = (uuid.UUID(group), uuid.UUID(event))
    except (binascii.Error, ValueError, TypeError, AttributeError):
        message = "not a cursor this route gave: use the `next` link as it came"
        raise InvalidField(_FIELD, "trail_cursor", message) from None
    if of != digest:
        raise InvalidField(
            _FIELD, "same_listing", "this cursor continues another listing: ask with its figure, as_of and filters"
        )
    return key
