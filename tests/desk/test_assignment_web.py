"""Assignment through the real entry points: every channel is assigned as it arrives, and people
move tickets over HTTP (roles, CSRF, internal notes, live events)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from core import accounts
from crm_link.models import Interaction, Ticket
from ivr.twilio.simulator import Script
from tests.desk.desk_helpers import login, page_csrf_token
from tests.support.listener import Listener

JA_LINE = "+81312345678"
EN_LINE = "+12025550143"
TUESDAY_NOON_TOKYO = "2026-11-24T12:00+09:00"
EVENING_TOKYO = "2026-11-24T20:00+09:00"   # the Japanese line is closed: voicemail


@pytest.fixture
def desk(app):
    """The app as core/web/app.py builds it: assignment routes mounted and subscribed."""
    assert "desk_assignment" in app.blueprints
    return app


@pytest.fixture
def staff(db, make_user):
    """alice serves support and returns, bob tech; sam supervises. All signed in and available."""
    make_user("alice", queues=["support", "returns"])
    make_user("bob", queues=["tech"])
    make_user("sam", role="supervisor")
    with db.session() as session:
        for name in ("alice", "bob", "sam"):
            accounts.set_presence(accounts.get_user(session, name), "available")


def assignee_of(db, ticket_id: int) -> str | None:
    with db.session() as session:
        ticket = session.get(Ticket, ticket_id)
        user = session.get(accounts.User, ticket.assignee_id) if ticket.assignee_id else None
        return user.username if user else None


def only_ticket(db) -> Ticket:
    with db.session() as session:
        [ticket] = session.scalars(select(Ticket)).all()
        return ticket


def test_chat_and_email_from_the_json_api_are_assigned(desk, client, api_headers, staff, db):
    chat = client.post("/api/messages", headers=api_headers, json={
        "channel": "chat", "from": {"email": "a@example.com"}, "text": "注文について"})
    email = client.post("/api/messages", headers=api_headers, json={
        "channel": "email", "from": {"email": "b@example.com"}, "subject": "Hello",
        "text": "Where is my order?"})
    assert chat.status_code == email.status_code == 201
    assert assignee_of(db, chat.get_json()["ticket_id"]) == "alice"    # default team: agents
    assert assignee_of(db, email.get_json()["ticket_id"]) == "bob"     # round-robin


def test_raw_inbound_email_is_assigned_by_keyword(desk, client, api_headers, staff, db,
                                                   make_user):
    make_user("erin", queues=["returns"])
    with db.session() as session:
        accounts.set_presence(accounts.get_user(session, "erin"), "on_call")
        accounts.set_presence(accounts.get_user(session, "alice"), "break", reason="研修")
    raw = (b"From: Yamada <yamada@example.jp>\r\nTo: support@example.com\r\n"
           b"Subject: =?UTF-8?B?6L+U5ZOB44Gr44Gk44GE44Gm?=\r\nMessage-ID: <m1@example.jp>\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n")
    response = client.post("/api/email/inbound", data=raw, headers={
        **api_headers, "Content-Type": "message/rfc822"})
    assert response.status_code == 201, response.get_data(as_text=True)
    ticket = only_ticket(db)
    assert ticket.subject == "返品について" and ticket.team == "returns"
    assert assignee_of(db, ticket.id) == "erin"                       # alice is training


def test_a_call_back_booking_is_assigned_to_its_queues_team(desk, twilio, at, staff, db):
    at(TUESDAY_NOON_TOKYO)
    twilio.call("+819012345678", JA_LINE, Script(inputs=["speech:返品したいです", "1", "1"]))
    ticket = only_ticket(db)
    assert ticket.subject == "Callback request (returns)" and ticket.channel == "voice"
    assert ticket.team == "returns" and assignee_of(db, ticket.id) == "alice"


def test_a_voicemail_is_assigned_when_its_recording_arrives(desk, twilio, at, staff, db):
    at(EVENING_TOKYO)
    result = twilio.call("+819011112222", JA_LINE, Script(
        inputs=[""], message_seconds=11, recording_url="http://127.0.0.1:9/recording"))
    assert result.recordings, "the recording callback was posted"
    ticket = only_ticket(db)
    assert ticket.channel == "voicemail" and ticket.team == "support"   # mailbox support
    assert assignee_of(db, ticket.id) == "alice"


def test_nobody_available_leaves_new_tickets_waiting(desk, client, api_headers, db, make_user):
    make_user("alice")   # offline, as every new account starts
    response = client.post("/api/messages", headers=api_headers, json={
        "channel": "chat", "from": {"email": "a@example.com"}, "text": "hi"})
    ticket_id = response.get_json()["ticket_id"]
    assert assignee_of(db, ticket_id) is None
    login(client, "alice")
    token = page_csrf_token(client, "/desk")
    client.post("/account/presence", json={"presence": "available"},
                headers={"X-CSRF-Token": token})
    assert assignee_of(db, ticket_id) == "alice"


# --- moving tickets by hand -------------------------------------------------------------------

@pytest.fixture
def waiting(db, desk, client, api_headers, make_user):
    """One unassigned ticket (nobody is available), with alice, bob and supervisor sam."""
    for name, role in (("alice", "agent"), ("bob", "agent"), ("sam", "supervisor")):
        make_user(name, role=role)
    response = client.post("/api/messages", headers=api_headers, json={
        "channel": "email", "from": {"email": "c@example.com"}, "text": "help"})
    return response.get_json()["ticket_id"]


def signed_in(client, username: str) -> dict:
    assert login(client, username).status_code == 302
    return {"X-CSRF-Token": page_csrf_token(client, "/desk")}


def notes(db, ticket_id: int) -> list[Interaction]:
    with db.session() as session:
        return session.scalars(select(Interaction).where(
            Interaction.ticket_id == ticket_id, Interaction.direction == "internal")).all()


def test_a_supervisor_moves_a_ticket_with_a_note_and_an_event(client, waiting, db, redis):
    headers = signed_in(client, "sam")
    listener = Listener(redis)
    try:
        first = client.post(f"/desk/tickets/{waiting}/assign", json={"username": "alice"},
                            headers=headers)
        again = client.post(f"/desk/tickets/{waiting}/assign", json={"username": "Bob"},
                            headers=headers)
        time.sleep(0.3)
    finally:
        listener.stop = True
        listener.thread.join(2)
    assert first.status_code == again.status_code == 200, again.get_data(as_text=True)
    assert again.get_json() == {"ticket_id": waiting, "previous": "alice", "assignee": "bob",
                                "note_id": again.get_json()["note_id"]}
    assert assignee_of(db, waiting) == "bob"
    assert [n.text for n in notes(db, waiting)] == [
        "sam assigned this ticket to alice.", "sam assigned this ticket from alice to bob."]
    assert notes(db, waiting)[1].meta == {"kind": "assignment", "from": "alice", "to": "bob",
                                          "by": "sam"}
    changed = [e for e in listener.events if e["kind"] == "ticket.changed"]
    assert [(e["assignee"], e["by"]) for e in changed] == [("alice", "sam"), ("bob", "sam")]


def test_an_agent_takes_an_unassigned_ticket_but_not_someone_elses(client, waiting, db):
    headers = signed_in(client, "alice")
    assert client.post(f"/desk/tickets/{waiting}/assign", json={"username": "bob"},
                       headers=headers).status_code == 403
    taken = client.post(f"/desk/tickets/{waiting}/assign", json={}, headers=headers)
    assert taken.status_code == 200 and taken.get_json()["assignee"] == "alice"
    assert [n.text for n in notes(db, waiting)] == ["alice took this ticket."]
    client.post("/logout", data={"csrf_token": headers["X-CSRF-Token"]})
    headers = signed_in(client, "bob")
    refused = client.post(f"/desk/tickets/{waiting}/assign", json={}, headers=headers)
    assert refused.status_code == 403
    assert "belongs to 'alice'; only a supervisor can move it" in refused.get_json()["error"]
    assert assignee_of(db, waiting) == "alice"


def test_a_plain_form_redirects_back(client, waiting, db):
    headers = signed_in(client, "sam")
    response = client.post(f"/desk/tickets/{waiting}/assign", data={
        "username": "alice", "csrf_token": headers["X-CSRF-Token"], "next": "/desk?f=mine"})
    assert response.status_code == 302 and response.headers["Location"] == "/desk?f=mine"
    assert assignee_of(db, waiting) == "alice"


@pytest.mark.parametrize(("path", "body", "status", "message"), [
    ("/desk/tickets/999/assign", {"username": "alice"}, 404, "There is no ticket #999."),
    (None, {"username": "zed"}, 400, "There is no user named 'zed'."),
])
def test_bad_targets_are_refused_with_a_sentence(client, waiting, path, body, status, message):
    headers = signed_in(client, "sam")
    response = client.post(path or f"/desk/tickets/{waiting}/assign", json=body,
                           headers=headers)
    assert response.status_code == status and response.get_json()["error"] == message


def test_assigning_needs_sign_in_and_a_csrf_token(client, waiting, db):
    anonymous = client.post(f"/desk/tickets/{waiting}/assign", json={"username": "alice"})
    assert anonymous.status_code in (400, 401)   # CSRF is checked first, then sign-in
    signed_in(client, "sam")
    forged = client.post(f"/desk/tickets/{waiting}/assign", json={"username": "alice"})
    assert forged.status_code == 400 and "CSRF" in forged.get_json()["error"]
    assert assignee_of(db, waiting) is None


def test_disabled_users_cannot_be_given_tickets(client, waiting, db):
    with db.session() as session:
        accounts.disable(accounts.get_user(session, "bob"))
    headers = signed_in(client, "sam")
    response = client.post(f"/desk/tickets/{waiting}/assign", json={"username": "bob"},
                           headers=headers)
    assert response.status_code == 400 and "disabled" in response.get_json()["error"]


def test_supervisors_see_the_rules_and_the_teams_load(client, waiting, db):
    headers = signed_in(client, "alice")
    assert client.get("/desk/assignment", headers={**headers, "Accept": "application/json"}
                      ).status_code == 403
    client.post("/logout", data={"csrf_token": headers["X-CSRF-Token"]})
    signed_in(client, "sam")
    data = client.get("/desk/assignment").get_json()
    assert data["source"].endswith("assignment.yaml") and data["error"] is None
    assert data["default_team"] == "everyone"
    assert [m["username"] for m in data["teams"]["everyone"]] == ["alice", "bob"]
    assert data["teams"]["everyone"][0] == {"username": "alice", "presence": "offline",
                                            "open_tickets": 0, "max_open_tickets": 10,
                                            "takes_tickets": False}
