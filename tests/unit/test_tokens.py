"""Tokens: only a token signed by the platform's key (or the identity provider's), unexpired, for this
platform, naming a known role, branch and offices, makes an identity. Every other one is refused with its reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from shared.auth.identity import Identity, Role
from shared.auth.keys import ensure_key_pair, new_key_pair
from shared.auth.tokens import AUDIENCE, EMBEDDED_ISSUER, InvalidToken, TokenVerifier, issue_token
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
