"""Click-to-call end to end: the agent's browser calls through the TwiML App, we dial the
customer from our number into the agent's room, record them on two channels after the notice,
and file the call, its recording and its outcome on the ticket; the agent wraps up after."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm_link.models import Interaction
from ivr.models import Call
from ivr.voice.models import AgentCall
from tests.acd.conftest import wait_for
from tests.voice.conftest import APP, CUSTOMER, presence, set_state
from voicemail.models import Recording


def agent_call(db, **where) -> AgentCall | None:
    with db.session() as session:
        row = session.scalars(select(AgentCall).filter_by(**where)
                              .order_by(AgentCall.id.desc())).first()
        if row is not None:
            session.expunge(row)
        return row


def placed_entry(db, call_id: int) -> Interaction:
    with db.session() as session:
        return session.scalar(select(Interaction).where(
            Interaction.external_id == f"agent-call:{call_id}"))


def ended(db):
    return lambda: (row := agent_call(db)) is not None and row.status == "ended" and row


def test_a_call_from_the_ticket_reaches_the_customer_and_lands_on_the_ticket(
        phone, cloud, db, alice, ticket):
    cloud.device(CUSTOMER, "answer", after=2, talk=8)
    leg = cloud.client_call("alice", APP, {"To": "090-1234-5678", "ticket": str(ticket)})

    wait_for(lambda: presence(db, "alice") == "on_call")
    call = wait_for(ended(db))
    assert (call.direction, call.number, call.caller_id, call.queue) == (
        "outbound", CUSTOMER, "+81312345678", "support")
    assert call.ticket_id == ticket and call.ended_reason == "completed"
    assert call.agent_call_sid == leg.sid and call.conference_sid.startswith("CF")

    dialed = cloud.calls_to(CUSTOMER)
    assert len(dialed) == 1 and dialed[0]["From"] == "+81312345678"   # ours, not the agent's
    customer = cloud.leg(call.customer_call_sid)
    assert customer.heard == ["この通話は録音されます。"]              # the notice, then the agent
    assert [r["channels"] for r in customer.recordings] == [2]

    wait_for(lambda: presence(db, "alice") == "wrap_up")
    wait_for(lambda: placed_entry(db, call.id).meta.get("duration"))   # Twilio's count, 8 s
    with db.session() as session:
        row = session.scalar(select(Call).where(Call.call_sid == call.customer_call_sid))
        assert (row.direction, row.outcome, row.agent, row.ticket_id) == (
            "outbound", "answered", "alice", ticket)
        entries = session.scalars(select(Interaction).where(Interaction.ticket_id == ticket)
                                  .order_by(Interaction.id)).all()
        placed = next(e for e in entries if e.external_id == f"agent-call:{call.id}")
        assert (placed.channel, placed.direction, placed.author) == ("voice", "outbound",
                                                                     "Alice Agent")
        assert placed.meta["status"] == "completed" and placed.meta["duration"] >= 7
        recording = wait_for(lambda: session.scalar(select(Recording).where(
            Recording.call_sid == call.customer_call_sid)))
    assert recording.ticket_id == ticket and recording.channels == 2
    assert recording.status == "pending"          # transcribed by the worker, like inbound
    with db.session() as session:
        filed = session.get(Interaction, recording.interaction_id)
        assert filed.direction == "outbound" and filed.ticket_id == ticket


def test_a_customer_who_does_not_answer_frees_the_agent_and_says_so(phone, cloud, db, alice,
                                                                      ticket):
    cloud.device(CUSTOMER, "no-answer")
    leg = cloud.client_call("alice", APP, {"To": CUSTOMER, "ticket": str(ticket)})
    call = wait_for(ended(db))
    assert call.ended_reason == "no-answer" and call.connected_at is None
    wait_for(lambda: cloud.leg(leg.sid).status == "completed")   # our hang-up ended the agent
    assert presence(db, "alice") == "wrap_up"
    with db.session() as session:
        placed = session.scalar(select(Interaction).where(
            Interaction.external_id == f"agent-call:{call.id}"))
        assert placed.meta["status"] == "no-answer"


def test_the_agent_hanging_up_first_cancels_the_ringing_customer(phone, cloud, db, alice):
    cloud.device(CUSTOMER, "answer", after=50)
    leg = cloud.client_call("alice", APP, {"To": "09012345678"})
    wait_for(lambda: cloud.calls_to(CUSTOMER))
    wait_for(lambda: (row := agent_call(db)) and row.customer_call_sid)
    cloud.hang_up_leg(leg.sid)
    call = wait_for(ended(db))
    assert call.ended_reason == "canceled"
    wait_for(lambda: cloud.leg(call.customer_call_sid).status == "canceled")


def test_an_unknown_number_becomes_a_customer_with_a_new_ticket(phone, cloud, db, alice):
    cloud.device("+81345678901", "answer", after=1, talk=2)
    cloud.client_call("alice", APP, {"To": "03-4567-8901"})
    call = wait_for(ended(db))
    assert call.number == "+81345678901" and call.customer_id and call.ticket_id


@pytest.mark.parametrize("who, to, state", [
    ("mallory", "090-1234-5678", None),       # no such agent: dials nothing
    ("alice", "not a number", "available"),
    ("alice", "090-1234-5678", "on_call"),    # already on a call
])
def test_refused_calls_dial_nothing(phone, cloud, db, alice, who, to, state, make_user):
    if state == "on_call":
        with db.session() as session:
            from core import agent_states
            from core.accounts import User
            user = session.query(User).filter_by(username="alice").one()
            agent_states.move(session, user.id, ("available",), "on_call",
                              user.presence_changed_at)
    leg = cloud.client_call(who, APP, {"To": to})
    wait_for(lambda: cloud.leg(leg.sid).status == "completed")
    assert cloud.calls_to("+819012345678") == []
    assert agent_call(db) is None
    assert cloud.leg(leg.sid).heard == ["この電話はおかけできません。"]
    if state:
        assert presence(db, "alice") == state


def test_an_inactive_agent_dials_nothing(phone, cloud, db, alice):
    set_state(db, "alice", "offline")
    with db.session() as session:
        from core.accounts import User
        session.query(User).filter_by(username="alice").one().active = False
    leg = cloud.client_call("alice", APP, {"To": CUSTOMER})
    wait_for(lambda: cloud.leg(leg.sid).status == "completed")
    assert cloud.calls_to(CUSTOMER) == [] and agent_call(db) is None


def test_the_client_webhook_is_signed_like_every_twilio_route(client):
    response = client.post("/twilio/client", data={"CallSid": "CA1", "From": "client:alice",
                                                   "To": CUSTOMER})
    assert response.status_code == 403
