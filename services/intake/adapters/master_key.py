"""Where intake finds the master key that wraps every person's data key (docs/adr/0020)."""

from __future__ import annotations

from collections.abc import Mapping

from shared.config import PlatformEnvironment
from shared.shredding import MasterKeyRing, configured_key_ring

# Production sets the variable from the Secret duo-intake-vault (deploy/k8s/base/intake.yaml); the embedded stack
# keeps the key in its data folder, made on first start like the token-signing key. Never in the database, nor in
# its backups: whoever has both reads every person not yet erased.
MASTER_KEY_VARIABLE = "INTAKE_VAULT_MASTER_KEY"
MASTER_KEY_FILE = "intake-vault.key"


def intake_master_keys(environ: Mapping[str, str] | None = None) -> MasterKeyRing:
    """INTAKE_VAULT_MASTER_KEY (base64 of 32 bytes), or else the data folder's (DUO_HOME) key file; and, during a
    rotation, the keys being rotated out in INTAKE_VAULT_MASTER_KEY_PREVIOUS (comma-separated)."""
    platform = PlatformEnvironment.from_environ(environ)
    return configured_key_ring(
        platform.intake_vault_master_key,
        platform.intake_vault_master_key_previous,
        MASTER_KEY_VARIABLE,
        platform.duo_home.resolve() / MASTER_KEY_FILE,
    )
