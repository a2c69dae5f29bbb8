"""Agent states: chosen by hand only among offline, available and break (with a reason); the
call-driven ones move in one guarded statement; every change is kept and announced."""

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from core import accounts, agent_states
from core.agent_states import AgentPresenceChanged, AgentStateChange, StateRefused
from core.errors import InvalidValue
from core.events import EventBus

T0 = dt.datetime(2026, 12, 2, 1, 0, tzinfo=dt.UTC)


def history(db, username):
    with db.session() as session:
        user = accounts.get_user(session, username)
        return [(c.status, c.reason) for c in session.scalars(
            select(AgentStateChange).where(AgentStateChange.user_id == user.id)
            .order_by(AgentStateChange.id))]


def by_hand(db, username, status, reason=None):
    with db.session() as session:
        return agent_states.set_by_hand(accounts.get_user(session, username), status, reason, T0)


@pytest.mark.parametrize("status, reason, stored", [
    ("available", None, None), ("offline", None, None), ("break", "休憩", "休憩"),
    ("break", "  研修  ", "研修"), ("available", "ignored", None),
])
def test_hand_choices_are_kept_with_their_reason(db, make_user, reload_user, status, reason,
                                                 stored):
    make_user("alice")
    by_hand(db, "alice", "available")
    by_hand(db, "alice", status, reason)
    user = reload_user("alice")
    assert (user.presence, user.presence_reason) == (status, stored)


@pytest.mark.parametrize("status, reason, message", [
    ("on_call", None, "Status 'on_call' is not one of offline, available, break"),
    ("wrap_up", None, "is not one of offline, available, break"),
    ("break", None, "Say why the agent is on a break"),
    ("break", "x" * 41, "at most 40 printable characters"),
    ("break", "休\n憩", "at most 40 printable characters"),
])
def test_hand_choices_outside_the_three_are_refused(db, make_user, status, reason, message):
    make_user("alice")
    with pytest.raises(InvalidValue, match=message):
        by_hand(db, "alice", status, reason)


@pytest.mark.parametrize("state", ["reserved", "on_call"])
def test_a_call_in_progress_cannot_be_left_by_hand(db, make_user, reload_user, state):
    make_user("alice")
    with db.session() as session:
        accounts.set_presence(accounts.get_user(session, "alice"), state)
    with pytest.raises(StateRefused, match="the state follows the call"):
        by_hand(db, "alice", "break", "休憩")
    assert reload_user("alice").presence == state


def test_wrap_up_may_be_ended_early(db, make_user, reload_user):
    make_user("alice")
    with db.session() as session:
        accounts.set_presence(accounts.get_user(session, "alice"), "wrap_up")
    assert by_hand(db, "alice", "available")
    assert reload_user("alice").presence == "available"


def test_every_change_is_kept_and_announced_after_commit(db, make_user):
    heard = []
    bus = EventBus()
    bus.subscribe(AgentPresenceChanged, heard.append)
    bus.bind(db.sessions)
    make_user("alice")
    by_hand(db, "alice", "available")
    by_hand(db, "alice", "break", "休憩")
    by_hand(db, "alice", "break", "研修")     # another reason is a change
    by_hand(db, "alice", "break", "研修")     # the same is not
    assert history(db, "alice") == [("available", None), ("break", "休憩"), ("break", "研修")]
    assert [(e.presence, e.previous, e.reason) for e in heard] == [
        ("available", "offline", None), ("break", "available", "休憩"),
        ("break", "break", "研修")]


def test_a_guarded_move_lets_only_one_process_take_an_available_agent(db, make_user,
                                                                        reload_user):
    """Eight threads, own connections, all trying available -> reserved at the same moment."""
    user = make_user("alice")
    by_hand(db, "alice", "available")
    start, won, errors = threading.Barrier(8), [], []

    def take():
        try:
            start.wait()
            with db.session() as session:
                if agent_states.move(session, user.id, ("available",), "reserved", T0):
                    won.append(1)
        except Exception as exc:  # noqa: BLE001 -- reported below
            errors.append(exc)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and won == [1]
    assert reload_user("alice").presence == "reserved"
    assert history(db, "alice")[-1] == ("reserved", None)
