"""A desk with no live connection for DESK_OFFLINE_SECONDS takes its agent offline; an open
desk stream keeps them as they are; calls in progress are never touched."""

import datetime as dt

import pytest
from sqlalchemy import update

from core import agent_states
from core.accounts import User, find_user
from desk import presence
from tests.desk.sse_client import EventStream, signed_in_session

T0 = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def team(db, make_user):
    for name, state in (("alice", "available"), ("bob", "available"), ("carl", "on_call"),
                        ("dora", "break"), ("erin", "offline")):
        make_user(name)
        with db.session() as session:
            user = find_user(session, name)
            if state in agent_states.BY_HAND:
                agent_states.set_by_hand(user, state, "休憩" if state == "break" else None)
            else:
                user.presence = state
    with db.session() as session:
        session.execute(update(User).values(presence_changed_at=T0))


def test_agents_without_a_live_desk_go_offline(runtime, team, reload_user):
    presence.alive(runtime.redis, "bob", T0 + dt.timedelta(seconds=50))   # bob's desk is open
    runtime.clock = lambda: T0 + dt.timedelta(seconds=61)
    assert presence.sweep(runtime) == 2
    states = {name: reload_user(name).presence for name in ("alice", "bob", "carl", "dora",
                                                            "erin")}
    assert states == {"alice": "offline", "bob": "available", "carl": "on_call",
                      "dora": "offline", "erin": "offline"}


def test_a_recent_change_counts_as_being_there(runtime, team, reload_user):
    runtime.clock = lambda: T0 + dt.timedelta(seconds=59)
    assert presence.sweep(runtime) == 0
    assert reload_user("alice").presence == "available"


def test_zero_seconds_turns_it_off(runtime, team, reload_user):
    runtime.settings = runtime.settings.with_(desk_offline_seconds=0)
    runtime.clock = lambda: T0 + dt.timedelta(days=1)
    assert presence.sweep(runtime) == 0
    assert reload_user("alice").presence == "available"


def test_an_open_desk_stream_says_its_agent_is_there(live_server, runtime, make_user):
    make_user("alice")
    stream = EventStream(signed_in_session(live_server.url, "alice"), live_server.url)
    try:
        assert stream.wait_for("stream.ready") is not None
        assert "alice" in presence.last_alive(runtime.redis, ["alice", "bob"])
    finally:
        stream.close()
