"""Transfers inside the room, driven as Twilio would: the target is rung with the Participants
API, the customer holds meanwhile, and nobody is ever left alone with the music."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.voice.models import AgentCall
from tests.acd.conftest import wait_for
from tests.desk.desk_helpers import login, page_csrf_token
from tests.voice.conftest import APP, CUSTOMER, presence, set_state

OTHER = "+81311112222"


@pytest.fixture
def desk(client, alice):
    assert login(client).status_code == 302
    token = page_csrf_token(client, "/desk")

    def post(path: str, **form):
        response = client.post(path, data=form, headers={"X-CSRF-Token": token,
                                                         "X-Requested-With": "XMLHttpRequest"})
        return response

    return post


@pytest.fixture
def bob(make_user, db, cloud):
    make_user("bob", display_name="Bob Agent", queues=["support"])
    set_state(db, "bob", "available")
    cloud.device("client:bob", "manual")
    return "bob"


@pytest.fixture
def talking(phone, cloud, db, alice):
    """alice on a call with the customer, who stays until someone hangs up."""
    cloud.device(CUSTOMER, "answer", after=1, talk=None)
    leg = cloud.client_call("alice", APP, {"To": CUSTOMER})

    def connected():
        row = calls(db)[0] if calls(db) else None
        return row if row and row.status == "connected" and row.customer_joined \
            and row.recording_sid else None

    try:
        call = wait_for(connected)
    except AssertionError:
        row = calls(db)[0] if calls(db) else None
        raise AssertionError(f"not connected: {row and vars(row)} {cloud.errors}") from None
    call.alice_leg = leg.sid
    call.room_obj = next(r for r in cloud.rooms.values() if r.sid == call.conference_sid)
    return call


def calls(db) -> list[AgentCall]:
    with db.session() as session:
        rows = session.scalars(select(AgentCall).order_by(AgentCall.id)).all()
        for row in rows:
            session.expunge(row)
        return rows


def ring_of(cloud, identity: str) -> str:
    return wait_for(lambda: next((leg for who, leg in cloud.rings if who == identity), None))


def test_warm_transfer_consults_then_hands_the_customer_to_the_other_agent(desk, talking, bob,
                                                                           cloud, db):
    room, customer = talking.room_obj, talking.customer_call_sid
    body = desk("/desk/voice/transfer", kind="agent", target="bob", mode="warm").get_json()
    assert body["call"]["on_hold"] is True and body["call"]["transfer"]["status"] == "ringing"
    assert customer in room.held and presence(db, "bob") == "reserved"
    bob_leg = ring_of(cloud, "bob")
    cloud.pick_up(bob_leg)
    wait_for(lambda: calls(db)[0].transfer and calls(db)[0].transfer["status"] == "answered")
    assert customer in room.held                 # still consulting
    assert desk("/desk/voice/transfer/complete").status_code == 200
    wait_for(lambda: calls(db)[0].status == "ended")
    alice_call, bob_call = calls(db)
    assert customer not in room.held and room.members == {customer, bob_leg}
    assert (bob_call.user_id != alice_call.user_id, bob_call.transferred_from) == (
        True, alice_call.id)
    assert bob_call.status == "connected" and bob_call.customer_call_sid == customer
    assert presence(db, "alice") == "wrap_up" and presence(db, "bob") == "on_call"
    assert [e["kind"] for e in alice_call.events] == ["recording_started", "transfer_warm",
                                                       "transfer_completed"]
    cloud.hang_up_leg(customer)                  # the customer ends it: bob wraps up
    wait_for(lambda: calls(db)[1].status == "ended")
    wait_for(lambda: presence(db, "bob") == "wrap_up")


def test_cold_transfer_drops_the_agent_as_the_target_answers(desk, talking, cloud, db):
    cloud.device(OTHER, "answer", after=2, talk=None)
    desk("/desk/voice/transfer", kind="number", target="03-1111-2222", mode="cold")
    wait_for(lambda: calls(db)[0].status == "ended")
    room = talking.room_obj
    assert talking.customer_call_sid not in room.held and len(room.members) == 2
    added = [f for m, p, f in cloud.requests if p.endswith("/Participants.json")]
    assert added[0]["To"] == OTHER and added[0]["From"] == "+81312345678"
    assert presence(db, "alice") == "wrap_up"


def test_a_target_who_does_not_answer_gives_the_customer_back(desk, talking, bob, cloud, db):
    desk("/desk/voice/transfer", kind="agent", target="bob", mode="cold")
    cloud.pick_up(ring_of(cloud, "bob"), answer=False)          # bob declines
    wait_for(lambda: calls(db)[0].transfer is None)
    wait_for(lambda: talking.customer_call_sid not in talking.room_obj.held)
    call = calls(db)[0]
    assert call.status == "connected" and presence(db, "alice") == "on_call"
    assert presence(db, "bob") == "available"
    assert talking.room_obj.end_on_exit[talking.alice_leg] is True   # alice ends the call again


def test_a_third_party_joins_without_anyone_holding(desk, talking, cloud, db):
    cloud.device(OTHER, "answer", after=1, talk=None)
    body = desk("/desk/voice/transfer", kind="number", target=OTHER, mode="conference").get_json()
    assert body["call"]["on_hold"] is False
    wait_for(lambda: len(talking.room_obj.members) == 3)
    assert not talking.room_obj.held and calls(db)[0].status == "connected"


def test_canceling_a_ringing_transfer(desk, talking, bob, cloud, db):
    desk("/desk/voice/transfer", kind="agent", target="bob", mode="warm")
    bob_leg = ring_of(cloud, "bob")
    wait_for(lambda: calls(db)[0].transfer.get("leg"))
    assert desk("/desk/voice/transfer/cancel").status_code == 200
    wait_for(lambda: cloud.leg(bob_leg).status == "canceled")
    wait_for(lambda: calls(db)[0].transfer is None)
    assert presence(db, "bob") == "available"


@pytest.mark.parametrize("form, reason", [
    ({"kind": "agent", "target": "nobody", "mode": "warm"}, "no_agent"),
    ({"kind": "agent", "target": "alice", "mode": "warm"}, "no_agent"),     # not to yourself
    ({"kind": "number", "target": "hello", "mode": "cold"}, "bad_number"),
    ({"kind": "queue", "target": "support", "mode": "warm"}, "bad_transfer"),
    ({"kind": "queue", "target": "nowhere", "mode": "cold"}, "no_queue"),
])
def test_refused_transfers_change_nothing(desk, talking, cloud, db, form, reason):
    response = desk("/desk/voice/transfer", **form)
    assert response.status_code == 409 and response.get_json()["reason"] == reason
    assert calls(db)[0].transfer is None and not talking.room_obj.held


def test_a_busy_agent_cannot_be_transferred_to(desk, talking, bob, db):
    set_state(db, "bob", "break", "休憩")
    response = desk("/desk/voice/transfer", kind="agent", target="bob", mode="cold")
    assert response.get_json()["reason"] == "agent_busy"


def test_a_transfer_to_a_queue_holds_the_customer_until_its_next_agent_joins(
        desk, talking, bob, cloud, db):
    from ivr.acd.models import Waiting
    set_state(db, "bob", "break", "休憩")                 # nobody free yet
    body = desk("/desk/voice/transfer", kind="queue", target="support", mode="cold").get_json()
    assert body["call"]["transfer"]["status"] == "queued"
    wait_for(lambda: calls(db)[0].status == "ended")      # alice is done: wrap-up
    wait_for(lambda: presence(db, "alice") == "wrap_up")
    room, customer = talking.room_obj, talking.customer_call_sid
    assert customer in room.held and room.members == {customer}   # music, alone, not lost
    with db.session() as session:
        entry = session.scalars(select(Waiting)).one()
        assert (entry.kind, entry.status, entry.room, entry.leg) == (
            "transfer", "waiting", talking.room, customer)
    set_state(db, "bob", "available")
    bob_leg = ring_of(cloud, "bob")
    cloud.pick_up(bob_leg)
    wait_for(lambda: len(calls(db)) == 2 and calls(db)[1].status == "connected")
    wait_for(lambda: customer not in room.held)
    bob_call = calls(db)[1]
    assert bob_call.room == talking.room and bob_call.customer_call_sid == customer
    assert bob_call.transferred_from == talking.id and bob_call.ticket_id == talking.ticket_id
    assert room.members == {customer, bob_leg} and presence(db, "bob") == "on_call"
    cloud.hang_up_leg(customer)
    wait_for(lambda: presence(db, "bob") == "wrap_up")
    with db.session() as session:
        entry = session.scalars(select(Waiting)).one()
        assert (entry.status, entry.ended_reason) == ("ended", "served")


def test_a_customer_who_hangs_up_while_transferred_to_a_queue_leaves_it(desk, talking, bob,
                                                                         cloud, db):
    from ivr.acd.models import Waiting
    set_state(db, "bob", "break", "休憩")
    desk("/desk/voice/transfer", kind="queue", target="support", mode="cold")
    wait_for(lambda: calls(db)[0].status == "ended")
    cloud.hang_up_leg(talking.customer_call_sid)

    def left():
        with db.session() as session:
            entry = session.scalars(select(Waiting)).one()
            return entry.status == "ended" and entry.ended_reason == "hangup"

    wait_for(left)
