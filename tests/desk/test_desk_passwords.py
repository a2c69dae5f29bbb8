"""Passwords: argon2id hashes, length rules, and rehashing when the parameters change."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type

from core import accounts
from core.errors import InvalidValue
from tests.desk.desk_helpers import PASSWORD, REAL_HASHER


def test_production_hasher_is_strong_argon2id():
    # The autouse fixture swaps in a cheap hasher; the module's own must be the strong default.
    assert REAL_HASHER is not accounts.hasher
    assert REAL_HASHER.type is Type.ID
    assert REAL_HASHER.time_cost >= 3 and REAL_HASHER.memory_cost >= 64 * 1024


def test_hash_verifies_only_the_same_password():
    stored = accounts.hash_password(PASSWORD)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert accounts.verify_password(stored, PASSWORD)
    assert not accounts.verify_password(stored, PASSWORD + "!")
    assert accounts.hash_password(PASSWORD) != stored  # salted


@pytest.mark.parametrize("stored", ["", "plaintext", "$argon2id$v=19$broken"])
def test_malformed_stored_hash_never_matches(stored):
    assert accounts.verify_password(stored, PASSWORD) is False


@pytest.mark.parametrize("length, ok", [(0, False), (9, False), (10, True), (1024, True),
                                        (1025, False)])
def test_password_length_rules(length, ok):
    password = "x" * length
    if ok:
        assert accounts.verify_password(accounts.hash_password(password), password)
        return
    with pytest.raises(InvalidValue) as err:
        accounts.hash_password(password)
    assert f"the one given has {length}" in str(err.value)
    assert password not in str(err.value) or length == 0


def test_sign_in_rehashes_a_hash_made_with_old_parameters(db, make_user):
    make_user("alice")
    old = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash(PASSWORD)
    with db.session() as session:
        accounts.get_user(session, "alice").password_hash = old
    with db.session() as session:
        assert accounts.authenticate(session, "alice", PASSWORD) is not None
    with db.session() as session:
        stored = accounts.get_user(session, "alice").password_hash
    assert stored != old
    assert not accounts.hasher.check_needs_rehash(stored)
    assert accounts.verify_password(stored, PASSWORD)


def test_sign_in_keeps_a_current_hash(db, make_user):
    before = make_user("alice").password_hash
    with db.session() as session:
        assert accounts.authenticate(session, "alice", PASSWORD) is not None
    with db.session() as session:
        assert accounts.get_user(session, "alice").password_hash == before


def test_unknown_username_still_spends_a_verification(db, monkeypatch):
    calls = []
    real = accounts.verify_password
    monkeypatch.setattr(accounts, "verify_password",
                        lambda stored, password: calls.append(stored) or real(stored, password))
    with db.session() as session:
        assert accounts.authenticate(session, "nobody", PASSWORD) is None
    assert len(calls) == 1 and calls[0].startswith("$argon2id$")
