"""Screen-pops: a ringing call pops only the offered agents' desks, with the caller's history."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from sqlalchemy import select

from core import agent_states
from core.accounts import find_user
from crm_link.models import Identity
from desk.screenpop import build_pop, pop_stage
from ivr.models import Call
from ivr.twilio.simulator import Script
from tests.desk.desk_data import HANAKO_PHONE, JA_LINE, VOICEMAIL_TEXT, seed_desk
from tests.desk.desk_helpers import login, page_csrf_token
from tests.desk.sse_client import EventStream, signed_in_session

NOON = "2026-11-24T12:00+09:00"   # a Tuesday: the support line is open, "0" queues for agents
XHR = {"X-Requested-With": "XMLHttpRequest"}


@pytest.fixture
def agents(make_user, db, cloud):
    make_user("alice", display_name="Alice Agent", queues=["support"], dial="client:alice")
    make_user("bob", display_name="Bob", language="en", queues=["support"], dial="client:bob")
    make_user("carol", display_name="Carol", queues=["sales"], dial="client:carol")
    cloud.device("client:alice", "no-answer")      # alice misses it: bob is offered next
    cloud.device("client:bob", "answer", after=2)
    for name in ("alice", "bob", "carol"):           # alice is free the longest
        with db.session() as session:
            agent_states.set_by_hand(find_user(session, name), "available")


@pytest.fixture
def streams(live_server):
    opened = []

    def open_for(username: str) -> EventStream:
        stream = EventStream(signed_in_session(live_server.url, username), live_server.url)
        assert stream.wait_for("stream.ready") is not None
        opened.append(stream)
        return stream

    yield open_for
    for stream in opened:
        stream.close()


def test_pop_stage_is_per_agent():
    offered = {"kind": "call.offered", "call_sid": "CA1", "agents": ["alice", "bob"]}
    assert pop_stage(offered, "alice") == "offered" and pop_stage(offered, "carol") is None
    answered = {"kind": "call.answered", "call_sid": "CA1", "agent": "bob"}
    assert pop_stage(answered, "bob") == "answered" and pop_stage(answered, "alice") is None
    assert pop_stage({"kind": "call.arrived", "call_sid": "CA1"}, "alice") is None


def test_a_known_caller_pops_the_offered_agents_with_history(agents, phone, at, streams, db,
                                                             settings, cloud):
    seeded = seed_desk(db, settings.recordings_dir, dt.datetime.now(dt.UTC))
    alice, bob, carol = streams("alice"), streams("bob"), streams("carol")
    at(NOON)
    result = phone.call(HANAKO_PHONE, JA_LINE, Script(inputs=["0"]))
    cloud.wait_idle()
    offered = alice.wait_for("screen.pop", call_sid=result.call_sid, stage="offered")
    assert offered is not None, alice.names()
    html = offered["html"]
    assert "山田花子" in html and "電話番号" in html and HANAKO_PHONE in html       # matched_by
    assert "hanako.yamada@example.jp" in html and "注文した商品が届きません" in html  # open ticket
    assert "先週注文したスニーカー" in html                                        # email history
    assert f"/recordings/{seeded.recording_id}" in html and VOICEMAIL_TEXT in html
    bobs = bob.wait_for("screen.pop", stage="offered")
    assert "Incoming call" in bobs["html"] and "Matched by" in bobs["html"]   # his language
    # alice's phone rang out; bob answered: only his desk gets that pop.
    assert bob.wait_for("screen.pop", call_sid=result.call_sid, stage="answered") is not None
    assert alice.wait_for("screen.pop", stage="answered", timeout=0.5) is None
    assert carol.wait_for("screen.pop", timeout=0.2) is None               # another queue
    assert not any(kind.startswith("call.") for kind in carol.names())     # nothing raw leaks


def test_the_stream_needs_sign_in(live_server):
    response = requests.get(f"{live_server.url}/desk/events", timeout=5,
                            headers={"Accept": "text/event-stream"}, allow_redirects=False)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def _ringing(db, number: str, sid: str) -> str:
    """A call from an unknown number being offered on the support queue right now."""
    with db.session() as session:
        session.add(Call(call_sid=sid, from_number=number, to_number=JA_LINE, caller_phone=number,
                         flow_name="support", flow_revision="r1", state={}, queue="support"))
    return sid


def test_an_unknown_caller_can_become_a_new_customer(agents, client, db):
    sid = _ringing(db, "+819099998888", "CA-unknown-1")
    with db.session() as session:
        pop = build_pop(session, sid, "offered")
    assert not pop.known and pop.phone == "+819099998888"
    login(client, "alice")
    token = page_csrf_token(client, "/desk")
    response = client.post(f"/desk/calls/{sid}/customer", headers=XHR,
                           data={"name": "鈴木一郎", "csrf_token": token})
    assert response.status_code == 200, response.text
    assert "鈴木一郎" in response.json["html"]
    with db.session() as session:
        call = session.scalar(select(Call).where(Call.call_sid == sid))
        owner = session.scalar(select(Identity).where(Identity.value == "+819099998888"))
        assert call.customer_id == owner.customer_id


def test_an_unknown_callers_pop_offers_new_customer_and_link(agents, db, streams, runtime):
    alice = streams("alice")
    sid = _ringing(db, "+819011110000", "CA-unknown-3")
    runtime.events.publish("call.offered", call_sid=sid, queue="support", agents=["alice"])
    pop = alice.wait_for("screen.pop", call_sid=sid)
    assert pop is not None and "登録のない番号です" in pop["html"]
    assert f"/desk/calls/{sid}/customer" in pop["html"] and f"/desk/calls/{sid}/link" in pop["html"]
    assert 'name="csrf_token"' in pop["html"]


def test_linking_an_unknown_caller_to_an_existing_customer(agents, client, db, settings,
                                                           make_user):
    seeded = seed_desk(db, settings.recordings_dir, dt.datetime.now(dt.UTC))
    sid = _ringing(db, "+819077776666", "CA-unknown-2")
    login(client, "alice")
    token = page_csrf_token(client, "/desk")
    url = f"/desk/calls/{sid}/link"
    bad = client.post(url, headers=XHR, data={"customer_id": "abc", "csrf_token": token})
    assert bad.status_code == 400 and "'abc' is not a customer number" in bad.json["error"]
    missing = client.post(url, headers=XHR, data={"customer_id": "99999", "csrf_token": token})
    assert missing.status_code == 400 and "no customer #99999" in missing.json["error"]
    linked = client.post(url, headers=XHR,
                         data={"customer_id": f"#{seeded.pat_id}", "csrf_token": token})
    assert linked.status_code == 200 and "Pat Lee" in linked.json["html"]
    make_user("dave", queues=["sales"])
    other = client.application.test_client()
    login(other, "dave")
    refused = other.post(url, headers=XHR, data={"customer_id": str(seeded.hanako_id),
                                                  "csrf_token": page_csrf_token(other, "/desk")})
    assert refused.status_code == 403 and "was not offered to you" in refused.json["error"]
