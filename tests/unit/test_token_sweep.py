"""Every token that does not prove an identity is a 401 on every route of every service, whatever is wrong with it:
any algorithm PyJWT knows, signed by any type of key, any claim of any JSON type, any mangled header or payload.

The verifier alone first (it raises InvalidToken and nothing else), then every documented route of the four
services: the token is checked before anything else runs, so no database is needed to reach the answer.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from shared.auth.tokens import AUDIENCE, EMBEDDED_ISSUER, InvalidToken
from tests.auth import KEYS, VERIFIER
from tests.service_apps import SERVICES, guarded_routes, service_apps


def _pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def claims(**changes) -> dict:
    now = datetime.now(UTC)
    base = {
        "sub": "staff-1",
        "role": "coordinator",
        "branch": "BE",
        "aud": AUDIENCE,
        "iss": EMBEDDED_ISSUER,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    return {k: v for k, v in (base | changes).items() if v is not None}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _by_hand(header: object, payload: object, signature: bytes = b"x") -> str:
    """A token PyJWT would never write: any header and payload, encoded as JSON (lone surrogates escaped)."""
    return ".".join((_b64(json.dumps(header).encode()), _b64(json.dumps(payload).encode()), _b64(signature)))


def other_algorithms() -> Iterator[tuple[str, str]]:
    """(case, token) for every algorithm PyJWT knows, each signed by a fresh key of the type it needs."""
    rsa_key = _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    curves = {"ES256": ec.SECP256R1(), "ES256K": ec.SECP256K1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}
    curves["ES521"] = curves["ES512"]
    for algorithm in jwt.algorithms.get_default_algorithms():
        if algorithm == "none":
            key: str | bytes = ""  # PyJWT's "none" takes no key, given as None or ""
        elif algorithm.startswith("HS"):
            key = KEYS.public_pem.encode()[:64] + b"-used-as-a-shared-secret"  # the confusion attack
        elif algorithm.startswith(("RS", "PS")):
            key = rsa_key
        elif algorithm.startswith("ES"):
            key = _pem(ec.generate_private_key(curves[algorithm]))
        else:
            key = _pem(ed25519.Ed25519PrivateKey.generate())  # EdDSA, by a key that is not the platform's
        yield f"alg={algorithm}", jwt.encode(claims(), key, algorithm=algorithm)
    yield "alg=EdDSA by Ed448", jwt.encode(claims(), _pem(ed448.Ed448PrivateKey.generate()), algorithm="EdDSA")
    # The public key as an HMAC secret, written by hand (PyJWT refuses to sign with a PEM as a secret).
    yield "alg=HS256 keyed with the public key", _by_hand({"alg": "HS256", "typ": "JWT"}, claims())


# Values of every JSON type, and strings that break careless code; each refused in every claim
# below, except the few that make a valid claim (listed in VALID).
HOSTILE = [5, -1, 1.5, True, None, "", "x" * 5000, "\ud800", "coordinator\n", [], [5], ["be-gent", 5], {}, {"a": 1}]
VALID = {("offices", "None"), ("offices", "[]"), ("iat", "5"), ("iat", "-1"), ("iat", "1.5"), ("iat", "True")}
CLAIMS = ("sub", "role", "branch", "offices", "aud", "iss", "iat", "exp")


def hostile_claims() -> Iterator[tuple[str, str]]:
    """(case, token) signed by the platform's own key, each with one claim given a hostile value."""
    for name in CLAIMS:
        for value in HOSTILE:
            if (name, repr(value)) not in VALID:
                payload = json.dumps(claims(**{name: value})).encode()  # PyJWT's encode would refuse some of them
                yield f"{name}={value!r:.40}", jwt.PyJWS().encode(payload, KEYS.private_pem, algorithm="EdDSA")


def mangled() -> Iterator[tuple[str, str]]:
    """(case, token) whose structure is wrong: headers and payloads that are no JWT's."""
    good = jwt.encode(claims(), KEYS.private_pem, algorithm="EdDSA")
    head, body, signature = good.split(".")
    yield "no signature", f"{head}.{body}."
    yield "two parts", f"{head}.{body}"
    yield "four parts", f"{good}.{signature}"
    yield "not base64", f"{head}.{body}.!!!"
    yield "empty", ""
    yield "dots", "..."
    yield "alg is a number", _by_hand({"alg": 5}, claims())
    yield "alg missing", _by_hand({"typ": "JWT"}, claims())
    yield "header is a list", _by_hand(["EdDSA"], claims())
    yield "payload is a list", _by_hand({"alg": "EdDSA"}, [claims()])
    yield "payload is a number", _by_hand({"alg": "EdDSA"}, 5)
    yield "payload not JSON", f"{head}.{_b64(b'{not json')}.{signature}"
    yield "payload not UTF-8", f"{head}.{_b64(bytes([0xFF, 0xFE]))}.{signature}"
    yield "header with an embedded key", _by_hand({"alg": "EdDSA", "jwk": {"kty": "OKP", "crv": "Ed25519"}}, claims())
    yield "critical extension", _by_hand({"alg": "EdDSA", "crit": ["exp"]}, claims())
    yield "alg swapped to RS256", f"{_b64(json.dumps({'alg': 'RS256'}).encode())}.{body}.{signature}"


CASES = [*other_algorithms(), *hostile_claims(), *mangled()]


def test_the_sweep_covers_every_algorithm_claim_and_shape():
    assert len(CASES) == len(jwt.algorithms.get_default_algorithms()) + 2 + len(CLAIMS) * len(HOSTILE) - len(
        VALID
    ) + len(list(mangled()))


@pytest.mark.parametrize(("case", "raw"), CASES, ids=[case for case, _ in CASES])
def test_the_verifier_refuses_every_bad_token_with_a_reason_and_nothing_else(case, raw):
    with pytest.raises(InvalidToken) as refused:
        VERIFIER.verify(raw)
    assert refused.value.reason, case


# One bad token of each kind: the probe's (a foreign RS256 key, `offices: 5`), unsigned, and not a JWT at all.
KINDS = {"alg=RS256", "alg=PS256", "alg=none", "offices=5", "payload is a list"}


def _requests() -> Iterator[tuple[str, str, str, str]]:
    """(service, method, path, case): every case on each service's first route, every route with each kind.

    Every route depends on the same check, so all cases on every route would repeat one another (and take
    a minute); what is swept per route is that it has the check at all.
    """
    for service, app in APPS.items():
        routes = guarded_routes(app)
        for index, (method, path) in enumerate(routes):
            for case, _ in CASES:
                if index == 0 or case in KINDS:
                    yield service, method, path, case


APPS = service_apps()
TOKENS = dict(CASES)


async def test_every_route_of_every_service_answers_401_to_every_bad_token():
    clients = {
        service: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{service}")
        for service, app in APPS.items()
    }
    tried: set[tuple[str, str, str]] = set()
    for service, method, path, case in _requests():
        body: dict[str, object] | None = {} if method in ("post", "patch") else None
        headers = {"Authorization": f"Bearer {TOKENS[case]}"}
        answer = await clients[service].request(method, path, json=body, headers=headers)
        assert answer.status_code == 401, (service, method, path, case, answer.text)
        assert answer.json()["errors"][0]["rule"] == "valid_bearer_token", answer.text
        tried.add((service, method, path.split("/")[1]))
    for client in clients.values():
        await client.aclose()
    assert {service for service, _, _ in tried} == set(SERVICES) and len(tried) >= 20
