"""The secret that keys a service's hash chain (HMAC-SHA256), so that no one without it can recompute the chain.

Whoever can write a service's database (its own role, a superuser, a restored backup edited offline) could
edit an event and recompute an unkeyed chain after it. Keyed, the chain can only be extended by the relay,
which holds the key; `duo audit verify` holds it too. Each service has its own: DUO_CHAIN_KEY (in
Kubernetes, the Secret duo-<service>-chain) or, on a developer's machine, `$DUO_HOME/chain-keys/<service>.key`,
made on first use like the token key. Losing the key loses the ability to verify, not the events.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.config import PlatformEnvironment
from shared.local_secrets import duo_home, ensure_secret_file

CHAIN_KEY_ENV = "DUO_CHAIN_KEY"


def configured_chain_key(service: str, environ: Mapping[str, str] | None = None) -> bytes:
    """DUO_CHAIN_KEY, or the embedded stack's key of `service` under DUO_HOME (made on first use)."""
    platform = PlatformEnvironment.from_environ(environ)
    key = platform.duo_chain_key or ensure_secret_file(duo_home(environ) / "chain-keys" / f"{service}.key")
    return key.encode()
