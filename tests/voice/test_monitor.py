"""Supervisors listen, whisper and barge from their own browser; each step is audited, and
nobody else may join an agent's call."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from ivr.voice.models import AgentCall, Monitoring
from tests.acd.conftest import wait_for
from tests.desk.desk_helpers import login, page_csrf_token
from tests.voice.conftest import APP, CUSTOMER


@pytest.fixture
def call(phone, cloud, db, alice):
    cloud.device(CUSTOMER, "answer", after=1, talk=None)
    cloud.client_call("alice", APP, {"To": CUSTOMER})

    def connected():
        with db.session() as session:
            row = session.scalars(select(AgentCall)).first()
            if row and row.status == "connected" and row.customer_joined:
                session.expunge(row)
                return row
            return None

    return wait_for(connected)


def signed_in(client, make_user, username: str, role: str):
    make_user(username, display_name=username.title(), role=role)
    assert login(client, username).status_code == 302
    token = page_csrf_token(client, "/desk")
    return lambda path, **form: client.post(path, data=form, headers={
        "X-CSRF-Token": token, "X-Requested-With": "XMLHttpRequest"})


def audit_log(db) -> list[tuple[str, str, str]]:
    with db.session() as session:
        return [(e.actor, e.action, e.target)
                for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_a_supervisor_listens_whispers_and_barges_and_every_step_is_audited(
        client, make_user, call, cloud, db):
    post = signed_in(client, make_user, "sue", "supervisor")
    params = post("/desk/voice/monitor", call=str(call.id), mode="listen").get_json()["params"]
    assert params == {"monitor": str(call.id), "mode": "listen"}
    leg = cloud.client_call("sue", APP, params)
    room = cloud.rooms[call.room]
    wait_for(lambda: leg.sid in room.members)
    assert leg.sid in room.muted and leg.sid not in room.coaching   # heard by nobody
    assert post("/desk/voice/monitor/mode", mode="whisper").get_json() == {"mode": "whisper"}
    assert room.coaching[leg.sid] == call.agent_call_sid and leg.sid not in room.muted
    post("/desk/voice/monitor/mode", mode="barge")
    assert leg.sid not in room.coaching and leg.sid not in room.muted
    cloud.hang_up_leg(leg.sid)
    wait_for(lambda: audit_log(db)[-1][1] == "monitor.end")
    target = f"agent_call:{call.id}"
    assert audit_log(db) == [("sue", "monitor.listen", target), ("sue", "monitor.whisper", target),
                             ("sue", "monitor.barge", target), ("sue", "monitor.end", target)]
    with db.session() as session:
        assert session.scalars(select(AgentCall)).first().status == "connected"  # call goes on
        assert session.scalars(select(Monitoring)).one().ended_at is not None


def test_an_agent_may_not_listen_in(client, make_user, call, cloud, db):
    post = signed_in(client, make_user, "carol", "agent")
    response = post("/desk/voice/monitor", call=str(call.id), mode="listen")
    assert response.status_code == 409 and response.get_json()["reason"] == "not_supervisor"
    leg = cloud.client_call("carol", APP, {"monitor": str(call.id), "mode": "listen"})
    wait_for(lambda: cloud.leg(leg.sid).status == "completed")
    assert leg.sid not in cloud.rooms[call.room].members and audit_log(db) == []


def test_a_call_that_is_over_cannot_be_joined(client, make_user, call, cloud, db):
    post = signed_in(client, make_user, "sue", "supervisor")
    cloud.hang_up_leg(call.agent_call_sid)
    wait_for(lambda: post("/desk/voice/monitor", call=str(call.id),
                          mode="listen").status_code == 409)
