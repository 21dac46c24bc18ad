"""Crypto-shredding's keys (shared/shredding.py): what a data key seals only it opens, in its context; wrapped keys
open only for their subject under their master key; blind indexes are stable, keyed and kept apart by purpose."""

from __future__ import annotations

import base64
import uuid

import pytest

from services.intake.adapters.master_key import MASTER_KEY_FILE, intake_master_keys
from shared.shredding import (
    DoesNotOpen,
    MasterKey,
    MasterKeyConfigurationError,
    configured_key_ring,
    ensure_master_key,
)

SUBJECT = uuid.uuid4().bytes


def test_a_sealed_value_opens_with_its_key_in_its_context_only():
    master = MasterKey.generate()
    key, _ = master.new_data_key(SUBJECT)
    sealed = key.seal(b"Amina", b"personal data")
    assert b"Amina" not in sealed and key.open(sealed, b"personal data") == b"Amina"
    assert key.seal(b"Amina", b"personal data") != sealed  # a fresh nonce each time: equal values do not show
    other, _ = master.new_data_key(SUBJECT)
    with pytest.raises(DoesNotOpen):
        other.open(sealed, b"personal data")
    with pytest.raises(DoesNotOpen):
        key.open(sealed, b"another context")
    with pytest.raises(DoesNotOpen):
        key.open(sealed[:-1] + bytes([sealed[-1] ^ 1]), b"personal data")


def test_a_wrapped_data_key_opens_for_its_subject_under_its_master_key_only():
    master = MasterKey.generate()
    key, wrapped = master.new_data_key(SUBJECT)
    assert key.secret not in wrapped and master.unwrap(wrapped, SUBJECT) == key
    with pytest.raises(DoesNotOpen):
        master.unwrap(wrapped, uuid.uuid4().bytes)  # moved onto another person's row
    with pytest.raises(DoesNotOpen):
        MasterKey.generate().unwrap(wrapped, SUBJECT)


def test_a_blind_index_is_stable_keyed_and_apart_by_purpose():
    master = MasterKey.generate()
    index = master.blind_index("e-mail", "an@example.org")
    assert index == master.blind_index("e-mail", "an@example.org") and len(index) == 32
    assert index != master.blind_index("e-mail", "another@example.org")
    assert index != master.blind_index("phone", "an@example.org")
    assert index != MasterKey.generate().blind_index("e-mail", "an@example.org")


def test_the_master_key_id_tells_keys_apart_without_being_the_key():
    master = MasterKey.generate()
    assert master.key_id == MasterKey(master.secret).key_id != MasterKey.generate().key_id
    assert master.key_id not in master.encoded() and master.secret.hex()[:16] != master.key_id
    assert repr(master) == "MasterKey()"  # never printed into a log or a traceback


def test_the_data_folder_key_is_made_once_and_kept_private(tmp_path):
    first = ensure_master_key(tmp_path / "vault.key")
    assert ensure_master_key(tmp_path / "vault.key") == first
    assert (tmp_path / "vault.key").stat().st_mode & 0o777 == 0o600
    assert [path.name for path in tmp_path.iterdir()] == ["vault.key"]  # no candidate file left behind
    assert intake_master_keys({"DUO_HOME": str(tmp_path)}).current == ensure_master_key(tmp_path / MASTER_KEY_FILE)


def test_a_key_from_the_environment_wins_and_a_malformed_one_is_refused_by_name(tmp_path):
    given = MasterKey.generate()
    environ = {"DUO_HOME": str(tmp_path), "INTAKE_VAULT_MASTER_KEY": given.encoded()}
    assert intake_master_keys(environ).current == given
    assert not (tmp_path / MASTER_KEY_FILE).exists()
    openssl = base64.b64encode(given.secret).decode()  # `openssl rand -base64 32`: standard alphabet, padded
    assert configured_key_ring(openssl + "\n", "", "VAULT_KEY", tmp_path / "x").current == given
    with pytest.raises(MasterKeyConfigurationError, match="VAULT_KEY: a master key is 32 bytes, not 16"):
        configured_key_ring(MasterKey.generate().encoded()[:22] + "==", "", "VAULT_KEY", tmp_path / "x")
    with pytest.raises(MasterKeyConfigurationError, match="INTAKE_VAULT_MASTER_KEY: not base64"):
        intake_master_keys({"INTAKE_VAULT_MASTER_KEY": "not base64!"})


def test_the_keys_being_rotated_out_come_from_the_previous_variable_and_unwrap_their_own(tmp_path):
    current, old = MasterKey.generate(), MasterKey.generate()
    environ = {"INTAKE_VAULT_MASTER_KEY": current.encoded(), "INTAKE_VAULT_MASTER_KEY_PREVIOUS": f" {old.encoded()} ,"}
    ring = intake_master_keys(environ)
    assert ring.current == current and ring.previous == (old,)
    assert ring.by_id(old.key_id) == old and ring.by_id(MasterKey.generate().key_id) is None
    _, wrapped = old.new_data_key(SUBJECT)
    known = ring.by_id(old.key_id)
    assert known is not None and known.unwrap(wrapped, SUBJECT) == old.unwrap(wrapped, SUBJECT)
    with pytest.raises(MasterKeyConfigurationError, match="INTAKE_VAULT_MASTER_KEY_PREVIOUS"):
        intake_master_keys({**environ, "INTAKE_VAULT_MASTER_KEY_PREVIOUS": "c2hvcnQ="})
