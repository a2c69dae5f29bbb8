"""The typed event bus: delivered after commit (never for a rollback), by type, with the
connection already back in the pool; a failing handler loses nothing; live events reach Redis."""

import logging
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from core.events import Event, EventBus, Events, emit
from ivr.models import FlowRevision
from tests.support.listener import Listener


@dataclass(frozen=True)
class Filed(Event):
    name: str


@dataclass(frozen=True)
class UrgentFiled(Filed):
    pass


@dataclass(frozen=True)
class Announced(Event):
    kind = "test.announced"
    live = True
    name: str


def revision(session, name: str) -> None:
    session.add(FlowRevision(name=name, revision="1", path=name, content=b"", loaded_by="t"))
    session.flush()


@pytest.fixture
def bus(db):
    bus = EventBus()
    bus.bind(db.sessions)
    return bus


def test_events_are_delivered_after_commit_to_subscribers_of_their_type(db, bus):
    heard = []
    bus.subscribe(Filed, lambda e: heard.append(("filed", e.name)))
    bus.subscribe(UrgentFiled, lambda e: heard.append(("urgent", e.name)))
    with db.session() as session:
        revision(session, "a")
        emit(session, Filed("a"))
        emit(session, UrgentFiled("b"))
        assert heard == []                     # nothing before the commit
    assert heard == [("filed", "a"), ("urgent", "b"), ("filed", "b")]  # most specific first


def test_a_rolled_back_transaction_announces_nothing(db, bus):
    heard = []
    bus.subscribe(Filed, heard.append)
    with pytest.raises(RuntimeError), db.session() as session:
        emit(session, Filed("never stored"))
        raise RuntimeError("the write fails")
    with db.session() as session:
        pass
    assert heard == []


def test_a_savepoint_rolled_back_keeps_the_outer_events(db, bus):
    heard = []
    bus.subscribe(Filed, heard.append)
    with db.session() as session:
        emit(session, Filed("outer"))
        try:
            with session.begin_nested():
                revision(session, "x")
                raise ValueError("the inner part fails")
        except ValueError:
            pass
    assert [e.name for e in heard] == ["outer"]


def test_handlers_run_once_the_connection_is_back_in_the_pool(db, bus):
    """A handler that opens its own session (as auto-assignment does) never needs a second
    connection while the first is held, so a busy pool cannot deadlock on events."""
    checked_out = []

    def count(_event):
        checked_out.append(db.engine.pool.checkedout())
        with db.session() as session:
            revision(session, "from the handler")

    bus.subscribe(Filed, count)
    with db.session() as session:
        revision(session, "first")
        emit(session, Filed("first"))
    assert checked_out == [0]
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(FlowRevision)) == 2


def test_a_failing_handler_is_logged_and_the_others_still_run(db, bus, caplog):
    heard = []

    def broken(_event):
        raise RuntimeError("handler exploded")

    bus.subscribe(Filed, broken)
    bus.subscribe(Filed, heard.append)
    with caplog.at_level(logging.ERROR, logger="core.events"), db.session() as session:
        revision(session, "kept")
        emit(session, Filed("kept"))
    assert [e.name for e in heard] == ["kept"]
    assert "event handler failed" in caplog.text
    with db.session() as session:
        assert session.scalar(select(FlowRevision.name)) == "kept"


def test_live_events_reach_the_live_channel_in_wire_format(db, redis):
    bus = EventBus(live=Events(redis).send)
    bus.bind(db.sessions)
    listener = Listener(redis)
    try:
        with db.session() as session:
            emit(session, Announced("hello"))
            emit(session, Filed("internal only"))
        kinds = listener.kinds(wait=0.5)
    finally:
        listener.stop = True
        listener.thread.join(timeout=5)
    assert kinds == ["test.announced"]
    assert listener.events[0]["name"] == "hello" and listener.events[0]["at"]


def test_unknown_live_kinds_and_kindless_live_events_are_refused():
    with pytest.raises(ValueError, match="Unknown event kind 'call.exploded'"):
        Events(None).publish("call.exploded")
    with pytest.raises(TypeError, match="needs a kind"):
        @dataclass(frozen=True)
        class Nameless(Event):
            live = True
