"""Account services on the real database: validation, lock-out, presence, agent lists."""

from __future__ import annotations

import datetime as dt

import pytest

from core import accounts
from core.errors import AccountError, DuplicateUser, InvalidValue, UnknownUser
from tests.desk.desk_helpers import PASSWORD

T0 = dt.datetime(2025, 4, 1, 9, 0, tzinfo=dt.UTC)


def test_create_user_defaults(make_user):
    user = make_user("Alice", now=T0)
    assert (user.username, user.display_name, user.role, user.language) == (
        "alice", "alice", "agent", "ja")
    assert (user.presence, user.presence_changed_at) == ("offline", T0)
    assert (user.queues, user.dial, user.max_open_tickets) == ([], None, 10)
    assert user.active and user.failed_logins == 0 and user.locked_until is None
    assert user.created_at == T0 and user.last_login_at is None


def test_create_user_keeps_every_field(make_user, reload_user):
    make_user("bob", role="supervisor", display_name="Bob B", email="bob@example.com",
              language="en", queues=["Support", "sales", "support"], dial="+81312345678",
              max_open_tickets=3)
    user = reload_user("BOB")
    assert (user.role, user.display_name, user.email, user.language) == (
        "supervisor", "Bob B", "bob@example.com", "en")
    assert user.queues == ["support", "sales"]
    assert (user.dial, user.max_open_tickets) == ("+81312345678", 3)


@pytest.mark.parametrize("second", ["alice", "ALICE", " Alice "])
def test_usernames_are_unique_ignoring_case(make_user, second):
    make_user("Alice")
    with pytest.raises(DuplicateUser, match="A user named 'alice' already exists."):
        make_user(second)


@pytest.mark.parametrize("field, value, message", [
    ("username", "", "Username ''"),
    ("username", "al ice", "Username 'al ice'"),
    ("username", "-alice", "Username '-alice'"),
    ("username", "a" * 65, "Username 'aaaa"),
    ("role", "root", "Role 'root' is not one of agent, supervisor, admin."),
    ("language", "fr", "Language 'fr' is not one of ja, en."),
    ("dial", "0312345678", "Dial target '0312345678'"),
    ("dial", "client:al ice", "Dial target 'client:al ice'"),
    ("queues", ["sup port"], "Queue name 'sup port'"),
    ("max_open_tickets", -1, "zero or more, not -1."),
    ("password", "short", "at least 10 characters long; the one given has 5."),
])
def test_create_user_refuses_bad_values(make_user, field, value, message):
    fields = {"username": "alice", field: value}
    with pytest.raises(InvalidValue) as err:
        make_user(**fields)
    assert message in str(err.value)
    assert isinstance(err.value, AccountError)


@pytest.mark.parametrize("dial", ["client:alice", "client:alice_2", "sip:alice@pbx.example.com",
                                  "+81312345678", "+14155550100"])
def test_dial_targets_accepted(make_user, dial):
    assert make_user("alice", dial=dial).dial == dial


def test_get_user_names_the_missing_username(db):
    with db.session() as session, pytest.raises(UnknownUser, match="no user named 'ghost'"):
        accounts.get_user(session, "ghost")


def _attempt(db, password, now, username="alice"):
    with db.session() as session:
        user = accounts.authenticate(session, username, password, now)
        return user.username if user else None


def test_correct_password_signs_in_case_insensitively(db, make_user, reload_user):
    make_user("alice")
    assert _attempt(db, PASSWORD, T0, username="ALICE") == "alice"
    assert reload_user("alice").last_login_at == T0


def test_lockout_after_repeated_failures_then_unlock_after_time(db, make_user, reload_user):
    make_user("alice")
    for i in range(accounts.MAX_FAILED_LOGINS - 1):
        assert _attempt(db, "wrong password!", T0 + dt.timedelta(seconds=i)) is None
    assert reload_user("alice").failed_logins == accounts.MAX_FAILED_LOGINS - 1
    assert reload_user("alice").locked_until is None
    last = T0 + dt.timedelta(seconds=10)
    assert _attempt(db, "wrong password!", last) is None
    assert reload_user("alice").locked_until == last + accounts.LOCKOUT
    # While locked even the right password is refused, and refusals do not extend the lock.
    just_before = last + accounts.LOCKOUT - dt.timedelta(seconds=1)
    assert _attempt(db, PASSWORD, just_before) is None
    assert reload_user("alice").locked_until == last + accounts.LOCKOUT
    assert _attempt(db, PASSWORD, last + accounts.LOCKOUT) == "alice"
    user = reload_user("alice")
    assert (user.failed_logins, user.locked_until) == (0, None)


def test_a_success_resets_the_failure_count(db, make_user, reload_user):
    make_user("alice")
    for _ in range(accounts.MAX_FAILED_LOGINS - 1):
        _attempt(db, "wrong password!", T0)
    assert _attempt(db, PASSWORD, T0) == "alice"
    assert reload_user("alice").failed_logins == 0
    assert _attempt(db, "wrong password!", T0) is None
    assert reload_user("alice").locked_until is None


def test_set_password_replaces_it_and_unlocks(db, make_user, reload_user):
    make_user("alice")
    for _ in range(accounts.MAX_FAILED_LOGINS):
        _attempt(db, "wrong password!", T0)
    with db.session() as session:
        accounts.set_password(accounts.get_user(session, "alice"), "a brand new secret")
    assert _attempt(db, PASSWORD, T0) is None
    assert _attempt(db, "a brand new secret", T0) == "alice"


def test_set_password_refuses_a_short_one(db, make_user):
    make_user("alice")
    with db.session() as session, pytest.raises(InvalidValue, match="the one given has 3"):
        accounts.set_password(accounts.get_user(session, "alice"), "abc")


def test_disabled_user_is_refused_and_goes_offline(db, make_user, reload_user):
    make_user("alice")
    with db.session() as session:
        user = accounts.get_user(session, "alice")
        accounts.set_presence(user, "available", T0)
        accounts.disable(user, T0 + dt.timedelta(minutes=1))
    assert _attempt(db, PASSWORD, T0) is None
    assert reload_user("alice").presence == "offline"


def test_unlock_lifts_a_lock(db, make_user):
    make_user("alice")
    for _ in range(accounts.MAX_FAILED_LOGINS):
        _attempt(db, "wrong password!", T0)
    with db.session() as session:
        accounts.unlock(accounts.get_user(session, "alice"))
    assert _attempt(db, PASSWORD, T0) == "alice"


@pytest.mark.parametrize("presence", accounts.PRESENCES)
def test_set_presence_moves_timestamp_only_on_change(db, make_user, reload_user, presence):
    make_user("alice", now=T0)
    later = T0 + dt.timedelta(minutes=5)
    with db.session() as session:
        changed = accounts.set_presence(accounts.get_user(session, "alice"), presence, later,
                                        reason="休憩" if presence == "break" else None)
    assert changed is (presence != "offline")
    user = reload_user("alice")
    assert user.presence == presence
    assert user.presence_changed_at == (later if changed else T0)


def test_set_presence_refuses_unknown_state(make_user):
    user = make_user("alice")
    with pytest.raises(InvalidValue, match="Status 'lunch' is not one of"):
        accounts.set_presence(user, "lunch")


@pytest.mark.parametrize("queue, presence, expected", [
    (None, None, ["alice", "bob", "carol"]),
    ("support", None, ["alice", "carol"]),
    ("SALES", None, ["bob", "carol"]),
    ("billing", None, []),
    (None, "available", ["alice", "carol"]),
    ("sales", "available", ["carol"]),
    ("support", "break", []),
])
def test_list_agents_filters(db, make_user, queue, presence, expected):
    make_user("alice", queues=["support"])
    make_user("bob", queues=["sales"])
    make_user("carol", role="supervisor", queues=["support", "sales"])
    make_user("dave", queues=["support", "sales"])
    with db.session() as session:
        for name in ("alice", "carol", "dave"):
            accounts.set_presence(accounts.get_user(session, name), "available")
        accounts.disable(accounts.get_user(session, "dave"))
    with db.session() as session:
        agents = accounts.list_agents(session, queue=queue, presence=presence)
    assert [a.username for a in agents] == expected


@pytest.mark.parametrize("role, needed, allowed", [
    ("agent", "agent", True), ("agent", "supervisor", False), ("agent", "admin", False),
    ("supervisor", "agent", True), ("supervisor", "supervisor", True),
    ("supervisor", "admin", False), ("admin", "agent", True), ("admin", "supervisor", True),
    ("admin", "admin", True),
])
def test_role_ranks(make_user, role, needed, allowed):
    assert make_user("alice", role=role).has_role(needed) is allowed
