"""Agents are offered queue calls by state; every step of a call reaches live listeners."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import agent_states
from core.accounts import find_user
from crm_link.customers import create_customer
from ivr.models import Call
from ivr.twilio.simulator import Script
from tests.support.listener import Listener

NOON = "2026-11-24T12:00+09:00"
JA_LINE = "+81312345678"


@pytest.fixture
def listener(runtime):
    listening = Listener(runtime.redis)
    yield listening
    listening.stop = True
    listening.thread.join(timeout=5)


def test_a_queue_call_rings_the_agent_free_longest_and_pops_their_screen(
        phone, cloud, at, make_user, listener, db):
    make_user("alice", queues=["support"], dial="client:alice")
    make_user("bob", queues=["support"])                        # client identity from username
    for name in ("alice", "bob"):                                # alice is free the longest
        with db.session() as session:
            agent_states.set_by_hand(find_user(session, name), "available")
        cloud.device(f"client:{name}", "answer", after=2)
    make_user("carol", queues=["support"], dial="client:carol")  # offline: not rung
    make_user("dave", queues=["sales"], dial="client:dave")      # another queue
    at(NOON)
    result = phone.call("+819011112222", JA_LINE, Script(inputs=["0"], talk_seconds=30))
    cloud.wait_idle()
    assert any("<Enqueue" in doc for doc in result.twiml)        # waits until we bridge them
    rung = [form["To"] for _, path, form in cloud.requests if path.endswith("/Calls.json")]
    assert rung == ["client:alice"]
    kinds = [kind for kind in listener.kinds(wait=1.0) if kind.startswith("call.")]
    assert kinds[:2] == ["call.arrived", "call.queued"]
    offered = next(e for e in listener.events if e["kind"] == "call.offered")
    assert offered["agents"] == ["alice"] and offered["queue"] == "support"
    assert offered["call_sid"] == result.call_sid
    answered = next(e for e in listener.events if e["kind"] == "call.answered")
    assert answered["agent"] == "alice" and answered["call_sid"] == result.call_sid
    assert answered["caller"]["phone"] == "+819011112222"
    ended = next(e for e in listener.events if e["kind"] == "call.ended")
    assert ended["outcome"] == "agent" and ended["agent"] == "alice"
    presences = [e["presence"] for e in listener.events
                 if e["kind"] == "agent.presence" and e["username"] == "alice"]
    assert presences[-3:] == ["reserved", "on_call", "wrap_up"]
    with db.session() as session:
        call = session.scalar(select(Call))
        assert (call.agent, call.outcome) == ("alice", "agent") and call.answered_at


def test_nobody_available_means_the_caller_waits_in_the_queue(phone, cloud, at, make_user,
                                                              listener):
    make_user("alice", queues=["support"], dial="client:alice")   # offline
    at(NOON)
    result = phone.call("+819011112222", JA_LINE, Script(inputs=["0"], queue_patience=60))
    assert any("<Enqueue" in doc for doc in result.twiml)
    assert result.ended_by == "caller hung up"
    assert not [path for _, path, _ in cloud.requests]             # nobody was rung
    assert "call.offered" not in listener.kinds(wait=1.0)


def test_arrival_carries_the_caller_lookup_for_the_screen_pop(twilio, at, listener, db):
    with db.session() as session:
        create_customer(session, name="山田花子", phones=["090-1234-5678"])
    at(NOON)
    twilio.call("+819012345678", JA_LINE, Script())
    listener.kinds(wait=1.0)
    arrived = listener.events[0]
    assert arrived["kind"] == "call.arrived" and arrived["flow"] == "support"
    assert arrived["caller"]["name"] == "山田花子" and arrived["caller"]["known"] is True
    assert arrived["caller"]["matched_by"]["kind"] == "phone"


def test_calls_are_answered_when_redis_is_down(twilio, at, runtime):
    runtime.settings = runtime.settings.with_(redis_url="redis://127.0.0.1:1/0")
    runtime._redis = None
    at(NOON)
    result = twilio.call("+819011112222", JA_LINE, Script(inputs=["3"]))
    assert all(status < 400 for _, status in result.requests)
    assert "現在、店舗は営業中です。" in result.said()
