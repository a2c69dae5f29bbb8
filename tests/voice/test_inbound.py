"""A queued caller answered in the browser: the ACD's offer becomes the agent's desk call,
which they can hold and wrap up like any (the room reports to us from the agent's TwiML)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.twilio.simulator import Script
from ivr.voice.models import AgentCall
from tests.acd.conftest import FLOW, wait_for
from tests.acd.test_distribution import call_in
from tests.desk.desk_helpers import login, page_csrf_token
from tests.voice.conftest import presence


@pytest.fixture
def flows_dir(flows_dir):
    (flows_dir / "acd_line.yaml").write_text(FLOW, encoding="utf-8")
    return flows_dir


@pytest.fixture
def alice_in_sales(make_user, db, cloud):
    from tests.voice.conftest import set_state
    make_user("alice", display_name="Alice Agent", queues=["sales"])
    cloud.device("client:alice", "manual")
    set_state(db, "alice", "available")


def test_a_queued_caller_answered_in_the_browser_can_be_held_and_wrapped_up(
        phone, cloud, db, client, alice_in_sales):
    assert login(client).status_code == 302
    csrf = page_csrf_token(client, "/desk")
    headers = {"X-CSRF-Token": csrf, "X-Requested-With": "XMLHttpRequest"}
    thread, box = call_in(phone, Script(talk_seconds=60))
    ring = wait_for(lambda: next((leg for who, leg in cloud.rings if who == "alice"), None))
    assert presence(db, "alice") == "reserved"
    cloud.pick_up(ring)

    def connected():
        with db.session() as session:
            row = session.scalars(select(AgentCall)).first()
            return row if row and row.customer_joined else None

    call = wait_for(connected)
    assert (call.direction, call.agent_call_sid, call.room) == ("inbound", ring,
                                                                call.room)
    assert call.room.startswith("offer-") and call.number == "+819012345678"
    held = client.post("/desk/voice/hold", data={"hold": "1"}, headers=headers).get_json()
    assert held["call"]["on_hold"] is True
    room = cloud.rooms[call.room]
    assert call.customer_call_sid in room.held
    client.post("/desk/voice/hold", data={"hold": "0"}, headers=headers)
    cloud.hang_up_leg(ring)                         # the agent hangs up in the browser
    thread.join(30)
    wait_for(lambda: presence(db, "alice") == "wrap_up")
    offered = client.get("/desk/voice/call").get_json()
    assert offered["call"]["status"] == "ended"
    assert [d["code"] for d in offered["dispositions"]] == ["resolved", "follow_up", "refund"]
    done = client.post("/desk/voice/wrap-up", data={"disposition": "refund"}, headers=headers)
    assert done.status_code == 200 and presence(db, "alice") == "available"
