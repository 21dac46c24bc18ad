"""The federation figures on the wire: signed with reporting's event key, checked on reading (docs/adr/0028)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Protocol

from shared.events.signing import SigningKey
from shared.events.wire import SPEC_VERSION, source_of
from shared.federation_figures import FIGURES_TYPE, PRODUCER, RegionFigures


class ChecksSignatures(Protocol):
    """A region's keyring (shared/events/keyfiles.py KeyringFile, or a Keyring)."""

    def signature_refusal(self, attributes: Mapping[str, str], body: bytes, producer: str) -> str | None: ...


def to_message(figures: RegionFigures, key: SigningKey) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """Key, value and signed headers of the message (CloudEvents binary mode, as every event travels)."""
    body = figures.model_dump_json().encode()
    headers = [
        ("ce_specversion", SPEC_VERSION.encode()),
        ("ce_id", str(uuid.uuid4()).encode()),
        ("ce_type", FIGURES_TYPE.encode()),
        ("ce_source", source_of(PRODUCER).encode()),
        ("ce_subject", f"region-{figures.region}".encode()),
        ("ce_time", figures.sent_at.isoformat().encode()),
        ("content-type", b"application/json"),
    ]
    return figures.region.encode(), body, key.sign(headers, body)


def from_message(
    headers: list[tuple[str, bytes]], value: bytes | None, keyring: ChecksSignatures, region: str
) -> tuple[RegionFigures | None, str | None]:
    """The figures of a message read on `region`'s cluster, or why they are refused: not a figures message, not
    signed by that region's reporting (`keyring`: its keys), not of that region, or not of the agreed shape."""
    try:
        attributes = {name: raw.decode() for name, raw in headers if raw is not None}
    except UnicodeDecodeError:
        return None, "malformed: a header is not UTF-8"
    if attributes.get("ce_type") != FIGURES_TYPE or attributes.get("ce_source") != source_of(PRODUCER):
        kind, source = attributes.get("ce_type", "")[:60], attributes.get("ce_source", "")[:60]
        return None, f"not_figures: {kind!r} from {source!r}"
    if refusal := keyring.signature_refusal(attributes, value or b"", PRODUCER):
        return None, refusal
    try:
        figures = RegionFigures.model_validate(json.loads(value or b""))
    except ValueError as err:
        return None, f"malformed: {type(err).__name__}"
    if figures.region != region:
        return None, f"wrong_region: figures of {figures.region!r} on the cluster of {region!r}"
    return figures, None
