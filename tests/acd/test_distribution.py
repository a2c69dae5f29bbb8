"""A waiting caller reaches the next free agent of their queue through Twilio's REST API:
the agent's phone rings, their answer redirects the caller out of the queue into one room,
and the agent's state follows the call (reserved, on_call, wrap_up, available)."""

import threading

from sqlalchemy import select

from ivr.acd.models import Offer, Waiting
from ivr.twilio.simulator import Script
from tests.acd.conftest import LINE, set_state, wait_for

CALLER = "+819012345678"


def call_in(phone, script: Script, caller: str = CALLER):
    """Place a call on a thread (it waits in the queue while the test frees agents)."""
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("result", phone.call(caller, LINE,
                                                                                  script)))
    thread.start()
    return thread, box


def entries(db):
    with db.session() as session:
        return [(w.call_sid, w.status, w.ended_reason) for w in session.scalars(select(Waiting))]


def offers(db):
    with db.session() as session:
        return [(o.status, o.user_id) for o in session.scalars(select(Offer).order_by(Offer.id))]


def test_a_waiting_caller_reaches_the_agent_who_becomes_free(phone, cloud, agent, db,
                                                            reload_user):
    agent("alice", available=False)
    thread, box = call_in(phone, Script(talk_seconds=40))
    wait_for(lambda: entries(db) and entries(db)[0][1] == "waiting")
    assert cloud.calls_to("client:alice") == []           # nobody free: nobody rung
    set_state(db, "alice", "available")
    thread.join(30)
    result = box["result"]
    assert result.ended_by == "end of TwiML" or result.ended_by == "hangup", result.text()
    ring = cloud.calls_to("client:alice")
    assert len(ring) == 1 and ring[0]["From"] == LINE and ring[0]["Timeout"] == "10"
    assert "/twilio/acd/answer?offer=" in ring[0]["Url"]
    said = result.said()
    assert said[-1] == "ありがとうございました。"            # the connect step's next
    assert any(h.kind == "dial" and "conference 'offer-" in h.detail for h in result.heard)
    cloud.wait_idle()
    assert entries(db)[0][1:] == ("ended", "served")
    assert offers(db)[0][0] == "ended"
    assert reload_user("alice").presence == "wrap_up"
    assert cloud.errors == []


def test_a_free_agent_is_offered_the_caller_at_once(phone, cloud, agent, db, reload_user):
    agent("alice")
    result = phone.call(CALLER, LINE, Script(talk_seconds=20))
    assert result.said()[-1] == "ありがとうございました。", result.text()
    waited = [h.detail for h in result.heard if h.kind == "queue" and "leaves" in h.detail]
    assert waited and waited[0].endswith("redirected")
    cloud.wait_idle()
    assert [status for status, _ in offers(db)] == ["ended"]
    assert reload_user("alice").presence == "wrap_up"


def test_an_unanswered_offer_sends_the_caller_to_the_next_agent(phone, cloud, agent, db,
                                                               reload_user):
    agent("alice", answer="no-answer", available=False)
    agent("bob", available=False)
    set_state(db, "alice", "available")           # alice free the longest: offered first
    set_state(db, "bob", "available")
    result = phone.call(CALLER, LINE, Script(talk_seconds=20))
    assert result.said()[-1] == "ありがとうございました。", result.text()
    cloud.wait_idle()
    assert len(cloud.calls_to("client:alice")) == 1 and len(cloud.calls_to("client:bob")) == 1
    assert [status for status, _ in offers(db)] == ["missed", "ended"]
    alice = reload_user("alice")
    assert (alice.presence, alice.presence_reason) == ("break", "missed")
    assert reload_user("bob").presence == "wrap_up"
    assert entries(db)[0][1:] == ("ended", "served")


def test_a_caller_who_hangs_up_while_the_agent_rings_frees_the_agent(phone, cloud, agent, db,
                                                                    reload_user):
    agent("alice", after=500)                      # rings a long time (timeout is 10 s)
    result = phone.call(CALLER, LINE, Script(queue_patience=3, queue_step_seconds=1))
    assert result.ended_by == "caller hung up", result.text()
    cloud.wait_idle()
    assert [status for status, _ in offers(db)] == ["canceled"]
    assert reload_user("alice").presence == "available"
    legs = [form for _, path, form in cloud.requests if "/Calls/CA" in path]
    assert [form.get("Status") for form in legs] == ["canceled"]   # we stopped her phone
    assert entries(db)[0][1:] == ("ended", "hangup")


def test_the_caller_waits_on_when_the_agents_phone_cannot_be_reached(phone, cloud, agent, db,
                                                               reload_user, make_user):
    make_user("carol", queues=["sales"], dial="+81300000000")   # no such device: call fails
    set_state(db, "carol", "available")
    result = phone.call(CALLER, LINE, Script(queue_patience=60, queue_step_seconds=5))
    assert result.ended_by == "caller hung up"
    cloud.wait_idle()
    assert offers(db) and all(status == "missed" for status, _ in offers(db))
    assert (reload_user("carol").presence, reload_user("carol").presence_reason) == (
        "break", "missed")


def test_a_carrier_refusing_the_account_pauses_distribution_without_blaming_agents(
        phone, cloud, agent, db, reload_user):
    cloud.token = "rotated"                       # our auth token no longer matches: 401
    agent("alice")
    result = phone.call(CALLER, LINE, Script(queue_patience=40, queue_step_seconds=5))
    assert result.ended_by == "caller hung up"
    assert [status for status, _ in offers(db)] == ["failed"]        # one try, then paused
    alice = reload_user("alice")
    assert (alice.presence, alice.presence_reason) == ("available", None)
    assert entries(db)[0][1:] == ("ended", "hangup")
