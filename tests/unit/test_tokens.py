"""Tokens: only a token signed by the platform's key (or the identity provider's), unexpired, for this
platform, naming a known role, branch and offices, makes an identity. Every other one is refused with its reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from shared.auth.identity import Identity, Role
from shared.auth.keys import ensure_key_pair, new_key_pair
from shared.auth.tokens import (
    AUDIENCE,
    EMBEDDED_ISSUER,
    LEEWAY_S,
    VERIFIED_KEPT_AT_MOST,
    VERIFIED_KEPT_S,
    InvalidToken,
    TokenVerifier,
    issue_token,
)
from shared.tenancy import Tenant
from tests.auth import KEYS, VERIFIER, token


def claims(**changes) -> dict:
    base = {
        "sub": "staff-1",
        "role": "coordinator",
        "branch": "BE",
        "aud": AUDIENCE,
        "iss": EMBEDDED_ISSUER,
        "iat": int(datetime.now(UTC).timestamp()),
        "exp": int((datetime.now(UTC) + timedelta(hours=1)).timestamp()),
    }
    return {k: v for k, v in (base | changes).items() if v is not None}


def signed(**changes) -> str:
    return jwt.encode(claims(**changes), KEYS.private_pem, algorithm="EdDSA")


def refusal(raw: str) -> str:
    with pytest.raises(InvalidToken) as refused:
        VERIFIER.verify(raw)
    return refused.value.reason


def test_a_valid_token_gives_the_identity_it_was_issued_for():
    identity = VERIFIER.verify(token("NL", Role.COORDINATOR, offices={"nl-rotterdam"}, subject="staff-9"))
    assert identity == Identity("staff-9", Role.COORDINATOR, Tenant.NL, frozenset({"nl-rotterdam"}))


def test_an_expired_token_is_refused_even_within_minutes():
    assert (
        refusal(token(ttl=timedelta(minutes=5), now=datetime.now(UTC) - timedelta(hours=1))) == "the token has expired"
    )


def test_a_token_signed_with_another_key_is_refused():
    assert refusal(token(private_pem=new_key_pair().private_pem)) == "the token's signature does not verify"


def test_an_unsigned_token_is_refused():
    unsigned = jwt.encode(claims(), key="", algorithm="none")  # PyJWT's "none" takes no key, given as None or ""
    assert "algorithm" in refusal(unsigned)


def test_a_token_signed_with_a_shared_secret_is_refused():
    # The classic confusion attack: HMAC keyed with the public key. HMAC is never an accepted algorithm.
    assert "algorithm" in refusal(
        jwt.encode(claims(), "a-shared-secret-that-is-long-enough-for-hs256", algorithm="HS256")
    )


def test_a_token_for_another_audience_or_issuer_is_refused():
    assert "audience" in refusal(signed(aud="another-platform"))
    assert refusal(signed(iss="someone-else")) == "the token was issued by an unknown issuer"


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"role": "superuser"}, "unknown role"),
        ({"branch": "DE"}, "no known branch"),
        ({"branch": None}, "no known branch"),
        ({"offices": ["fr-paris"]}, "not all of its branch"),
        ({"offices": ["be-atlantis"]}, "not known offices"),
        ({"offices": "be-gent"}, "not known offices"),
        ({"sub": "marc.peeters@example.org"}, "opaque staff id"),
        ({"exp": None}, "not valid"),
    ],
)
def test_claims_that_do_not_make_an_identity_are_refused(changes, words):
    assert words in refusal(signed(**changes))


def test_the_federation_spans_branches():
    identity = VERIFIER.verify(token(None, Role.FEDERATION, subject="federation-1"))
    assert identity.branch is None and identity.role is Role.FEDERATION


def test_garbage_is_refused():
    assert "not valid" in refusal("not-a-token")


def test_the_embedded_key_pair_is_made_once_and_kept_private(tmp_path):
    first = ensure_key_pair(tmp_path)
    assert ensure_key_pair(tmp_path) == first
    assert (tmp_path / "token-signing.key").stat().st_mode & 0o777 == 0o600
    issued = issue_token(
        first.private_pem, Identity("staff-1", Role.FUNDER, Tenant.FR), timedelta(minutes=5), datetime.now(UTC)
    )  # not the module's NOW: a long test run would see it expired
    assert TokenVerifier(public_pem=first.public_pem).verify(issued).role is Role.FUNDER


class _Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).timestamp()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def checks(monkeypatch) -> list[str]:
    """The tokens whose signature and claims were checked (not taken from memory), in order."""
    checked: list[str] = []
    real = TokenVerifier._claims

    def counted(self, raw):
        checked.append(raw)
        return real(self, raw)

    monkeypatch.setattr(TokenVerifier, "_claims", counted)
    return checked


def test_a_token_verified_once_is_not_verified_again_until_it_must(checks):
    clock = _Clock()
    verifier = TokenVerifier(public_pem=KEYS.public_pem, clock=clock)
    raw = token(ttl=timedelta(minutes=10))
    first = verifier.verify(raw)
    assert verifier.verify(raw) == first and len(checks) == 1  # the second request: taken from memory
    clock.now += VERIFIED_KEPT_S
    assert verifier.verify(raw) == first and len(checks) == 2  # a minute on: verified again (a withdrawn key)


def test_a_kept_token_is_not_taken_from_memory_once_expired(checks):
    clock = _Clock()
    verifier = TokenVerifier(public_pem=KEYS.public_pem, clock=clock)
    raw = token(ttl=timedelta(seconds=20), now=datetime.fromtimestamp(clock.now, UTC))
    verifier.verify(raw)
    clock.now += 20 + LEEWAY_S - 1
    verifier.verify(raw)
    assert len(checks) == 1  # still within its expiry and PyJWT's leeway
    clock.now += 2
    verifier.verify(raw)  # PyJWT reads the real clock, by which the token is still valid: what counts is that
    assert len(checks) == 2  # it was asked again (test_an_expired_token_is_refused_even_within_minutes: refused)


def test_the_kept_tokens_are_bounded():
    verifier = TokenVerifier(public_pem=KEYS.public_pem)
    for n in range(VERIFIED_KEPT_AT_MOST + 5):
        verifier.verify(token(subject=f"staff-{n}"))
    assert len(verifier._verified) == VERIFIED_KEPT_AT_MOST
