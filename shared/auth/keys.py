"""The embedded signing key pair: made once under the data folder, like the database password.

Production verifies tokens against an identity provider's JWKS instead (DUO_JWKS_URL)
and has no private key on the platform at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.auth.tokens import EMBEDDED_ISSUER, TokenVerifier
from shared.config import PlatformEnvironment
from shared.local_secrets import duo_home, ensure_secret_file

PRIVATE_KEY_FILE = "token-signing.key"
PUBLIC_KEY_FILE = "token-signing.pub"


@dataclass(frozen=True)
class KeyPair:
    """PEM texts of an Ed25519 key pair (EdDSA tokens: small, fast, no parameters to get wrong)."""

    private_pem: str
    public_pem: str


def new_key_pair() -> KeyPair:
    """A fresh key pair, in memory (tests; `ensure_key_pair` keeps one on disk)."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return KeyPair(private.decode(), public.decode())


def ensure_key_pair(home: Path) -> KeyPair:
    """The data folder's key pair, made on first use; the private key is readable by its owner only
    (one key wins when services start together: shared.local_secrets; the public key is derived)."""
    private_pem = ensure_secret_file(home / PRIVATE_KEY_FILE, lambda: new_key_pair().private_pem)
    pair = KeyPair(private_pem, _public_pem_of(private_pem))
    public_path = home / PUBLIC_KEY_FILE
    if not public_path.exists():
        public_path.write_text(pair.public_pem)  # for an operator who wants to verify tokens elsewhere
    return pair


def _public_pem_of(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def configured_verifier(environ: Mapping[str, str]) -> TokenVerifier:
    """How a service verifies tokens: against DUO_JWKS_URL (an identity provider such as Keycloak, with
    DUO_TOKEN_ISSUER), or else against the embedded key pair of DUO_HOME, made on first start."""
    platform = PlatformEnvironment.from_environ(environ)
    if platform.duo_jwks_url:
        return TokenVerifier(jwks_url=platform.duo_jwks_url, issuer=platform.duo_token_issuer or EMBEDDED_ISSUER)
    return TokenVerifier(public_pem=ensure_key_pair(duo_home(environ)).public_pem)
