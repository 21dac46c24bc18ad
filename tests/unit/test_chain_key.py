"""The key of a service's hash chain: from the environment, or one per service made once under the data folder."""

from __future__ import annotations

from shared.eventstore.chain_key import configured_chain_key


def test_each_service_gets_its_own_key_made_once_and_private(tmp_path):
    environ = {"DUO_HOME": str(tmp_path)}
    intake, matching = configured_chain_key("intake", environ), configured_chain_key("matching", environ)
    assert intake != matching and len(intake) >= 32
    assert configured_chain_key("intake", environ) == intake
    assert (tmp_path / "chain-keys" / "intake.key").stat().st_mode & 0o777 == 0o600


def test_the_environment_gives_the_key_in_production(tmp_path):
    environ = {"DUO_HOME": str(tmp_path), "DUO_CHAIN_KEY": "from-the-secret"}
    assert configured_chain_key("intake", environ) == b"from-the-secret"
    assert not (tmp_path / "chain-keys").exists()
