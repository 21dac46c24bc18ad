"""Signed identities: issue (embedded default) and verify (every service) with PyJWT, never by hand."""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from shared.auth.identity import Identity, Role
from shared.tenancy import OFFICES, Tenant, tenant_of_office

AUDIENCE = "duo-platform"
EMBEDDED_ISSUER = "duo-embedded"
# The algorithms a token may be signed with: EdDSA for the embedded keys, RS256 and ES256 for
# identity providers (Keycloak's default is RS256). "none" and HMAC are never accepted.
ALGORITHMS = ["EdDSA", "RS256", "ES256"]
# Each key verifies exactly one algorithm, the one of its type: a token naming another one is refused
# before PyJWT tries to use the key for it (which raises InvalidKeyError, not a token error).
_ALGORITHM_OF_KEY: dict[type, str] = {
    ed25519.Ed25519PublicKey: "EdDSA",
    rsa.RSAPublicKey: "RS256",
    ec.EllipticCurvePublicKey: "ES256",
}
LEEWAY_S = 30  # clocks of the identity provider and the services drift a little
# A client sends the same token with every request (the demo's simulator some 48,000 times a run): a token
# verified once is taken again from memory, by its exact text, until it expires or for this long at most, so a
# key withdrawn from the identity provider stops its tokens within a minute, as PyJWKClient's own key cache does
# within five. Checking an EdDSA signature and the claims costs about 0.1 ms of CPU a request.
VERIFIED_KEPT_S = 60.0
VERIFIED_KEPT_AT_MOST = 1024  # tokens: then the oldest are forgotten (a client with a new token each request)
_STAFF_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class InvalidToken(Exception):
    """A missing, malformed, expired or wrongly signed token; `reason` says which, for the 401 answer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def issue_token(
    private_pem: str, identity: Identity, ttl: timedelta, now: datetime, issuer: str = EMBEDDED_ISSUER
) -> str:
    """A signed token for `identity`, valid from `now` for `ttl`."""
    claims: dict[str, Any] = {
        "sub": identity.subject,
        "role": identity.role.value,
        "aud": AUDIENCE,
        "iss": issuer,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": str(uuid.uuid4()),
    }
    if identity.branch is not None:
        claims["branch"] = identity.branch.value
    if identity.offices is not None:
        claims["offices"] = sorted(identity.offices)
    return jwt.encode(claims, private_pem, algorithm="EdDSA")


@dataclass(frozen=True)
class TokenVerifier:
    """Checks signature, expiry, audience and issuer, then reads the identity; InvalidToken otherwise."""

    public_pem: str | None = None
    jwks_url: str | None = None
    issuer: str = EMBEDDED_ISSUER
    clock: Callable[[], float] = time.time
    # By token: its identity, when it expires (the leeway added) and when it must be verified again.
    _verified: dict[str, tuple[Identity, float, float]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def fetches_keys(self) -> bool:
        """Whether verifying may fetch the identity provider's keys over the network (a JWKS URL is configured)."""
        return self.jwks_url is not None

    @cached_property
    def _jwks(self) -> jwt.PyJWKClient | None:
        # One client per verifier: it caches the provider's keys instead of fetching them per request.
        return jwt.PyJWKClient(self.jwks_url) if self.jwks_url else None

    @cached_property
    def _public_key(self) -> tuple[Any, str] | None:
        if self.public_pem is None:
            return None
        key = serialization.load_pem_public_key(self.public_pem.encode())
        return key, _algorithm_of(key)

    def _key_and_algorithm(self, token: str) -> tuple[Any, str]:
        if self._jwks:
            signing_key = self._jwks.get_signing_key_from_jwt(token)
            return signing_key.key, _algorithm_of(signing_key.key)
        if self._public_key is None:
            raise InvalidToken("no key to verify tokens with is configured")
        return self._public_key

    def verify(self, token: str) -> Identity:
        """The identity `token` proves; InvalidToken for every token that does not, whatever is wrong with it."""
        now = self.clock()
        kept = self._verified.get(token)
        if kept is not None:
            identity, expires, again = kept
            if now < min(expires, again):
                return identity
            self._verified.pop(token, None)  # expired (refused below, with its reason) or due to be verified again
        claims = self._claims(token)
        identity = identity_of(claims)
        # Pops that tolerate another thread's (a provider's keys are fetched off the event loop, so verify runs on
        # worker threads there): at worst a token is verified once more.
        while len(self._verified) >= VERIFIED_KEPT_AT_MOST:
            with contextlib.suppress(StopIteration, KeyError, RuntimeError):
                self._verified.pop(next(iter(self._verified)))  # insertion order: the oldest first
        self._verified[token] = (identity, float(claims["exp"]) + LEEWAY_S, now + VERIFIED_KEPT_S)
        return identity

    def _claims(self, token: str) -> dict[str, Any]:
        try:
            key, algorithm = self._key_and_algorithm(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=AUDIENCE,
                issuer=self.issuer,
                leeway=LEEWAY_S,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken(f"the token is not for this platform (audience must be {AUDIENCE})") from None
        except jwt.InvalidIssuerError:
            raise InvalidToken("the token was issued by an unknown issuer") from None
        except jwt.InvalidSignatureError:
            raise InvalidToken("the token's signature does not verify") from None
        except jwt.InvalidAlgorithmError:
            raise InvalidToken("the token is signed with an algorithm its key does not verify") from None
        except (jwt.PyJWKClientError, jwt.PyJWKError):
            raise InvalidToken("the token's signing key is not known to the identity provider") from None
        except jwt.PyJWTError as err:  # InvalidTokenError, and InvalidKeyError, which is not one
            raise InvalidToken(f"the token is not valid: {type(err).__name__}") from None
        return claims


def _algorithm_of(key: object) -> str:
    for key_type, algorithm in _ALGORITHM_OF_KEY.items():
        if isinstance(key, key_type):
            return algorithm
    raise InvalidToken(f"the verifying key is of an unsupported type; keys verify {', '.join(ALGORITHMS)}")


def identity_of(claims: dict[str, Any]) -> Identity:
    """The identity a verified token's claims describe; InvalidToken if they do not make one."""
    role_claim, branch = str(claims.get("role")), str(claims.get("branch"))
    if role_claim not in {r.value for r in Role}:
        raise InvalidToken(f"unknown role; one of {', '.join(r.value for r in Role)}")
    role = Role(role_claim)
    if role is not Role.FEDERATION and branch not in Tenant.__members__:
        raise InvalidToken("the token names no known branch (BE, NL or FR)")
    # The federation spans branches: whatever branch its token names, it acts for none.
    tenant = Tenant(branch) if branch in Tenant.__members__ and role is not Role.FEDERATION else None
    offices = claims.get("offices")
    if offices is not None:
        offices = _offices(offices, tenant)
    subject = claims["sub"]
    # The subject is the actor of every event, which Kafka keeps for ever (docs/adr/0006): an
    # e-mail address or a name there could never be erased, an opaque staff id can be unlinked.
    if not isinstance(subject, str) or not _STAFF_ID.fullmatch(subject):
        raise InvalidToken("the token's subject must be an opaque staff id (lower-case letters, digits, '.', '_', '-')")
    return Identity(subject=subject, role=role, branch=tenant, offices=offices)


def _offices(offices: object, tenant: Tenant | None) -> frozenset[str]:
    # A claim is whatever the token's signer wrote: a list of known office names, or refused.
    if not isinstance(offices, list) or not all(isinstance(o, str) and o in OFFICES for o in offices):
        raise InvalidToken("the token's offices are not known offices")
    if any(tenant_of_office(o) != tenant for o in offices):
        raise InvalidToken("the token's offices are not all of its branch")
    return frozenset(offices)
