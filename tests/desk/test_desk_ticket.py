"""The ticket page: timeline with audio, email replies over SMTP, notes, changes, and no double replies."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.accounts import User, find_user
from crm_link.models import Interaction, Ticket
from desk.collision import TicketPresence
from tests.desk.desk_data import HANAKO_EMAIL, VOICEMAIL_TEXT
from tests.desk.desk_helpers import login, page_csrf_token

XHR = {"X-Requested-With": "XMLHttpRequest"}


@pytest.fixture
def settings(settings, smtp_server):
    return settings.with_(smtp_url=smtp_server.url, smtp_from="ABCストア サポート <support@abc.example.jp>")


def _token(client, ticket_id):
    return page_csrf_token(client, f"/desk/tickets/{ticket_id}")


def test_the_page_shows_the_timeline_with_audio_and_transcript_and_templates(signed_in, seeded):
    html = signed_in.get(f"/desk/tickets/{seeded.hanako_ticket}").get_data(as_text=True)
    assert "注文した商品が届きません" in html and "先週注文したスニーカー" in html
    assert f'src="/recordings/{seeded.recording_id}"' in html and VOICEMAIL_TEXT in html
    assert "配送遅延のお詫び" in html                 # alice reads Japanese: ja titles
    assert "山田花子様" in html and "Alice Agent" in html   # placeholders filled


def test_english_agents_get_english_templates(client, make_user, seeded):
    make_user("bob", display_name="Bob Smith", language="en")
    login(client, "bob")
    html = client.get(f"/desk/tickets/{seeded.hanako_ticket}").get_data(as_text=True)
    assert "Apology for a delivery delay" in html and "Dear 山田花子," in html
    assert "Bob Smith" in html and "Reply by email" in html and "配送遅延のお詫び" not in html


def test_a_reply_is_emailed_filed_and_claims_the_ticket(signed_in, seeded, smtp_server, db):
    token = _token(signed_in, seeded.hanako_ticket)
    response = signed_in.post(f"/desk/tickets/{seeded.hanako_ticket}/reply", headers=XHR,
                              data={"text": "山田様、本日発送いたしました。", "csrf_token": token})
    assert response.status_code == 200, response.get_data(as_text=True)
    [mail] = smtp_server.sink.messages()
    assert mail["To"] == HANAKO_EMAIL and mail["Subject"] == "Re: 注文した商品が届きません"
    assert mail["In-Reply-To"] == "<demo-1@example.jp>"
    assert "本日発送" in mail.get_content()
    with db.session() as session:
        ticket = session.get(Ticket, seeded.hanako_ticket)
        alice = find_user(session, "alice")
        assert ticket.assignee_id == alice.id and ticket.first_response_at is not None
        assert ticket.status == "open"
        sent = session.scalar(select(Interaction).where(Interaction.direction == "outbound"))
        assert sent.external_id == mail["Message-ID"] and sent.author == "Alice Agent"


def test_a_reply_without_csrf_token_or_text_is_refused(signed_in, seeded, smtp_server):
    url = f"/desk/tickets/{seeded.hanako_ticket}/reply"
    assert signed_in.post(url, data={"text": "x"}, headers=XHR).status_code == 400
    token = _token(signed_in, seeded.hanako_ticket)
    response = signed_in.post(url, data={"text": "  ", "csrf_token": token}, headers=XHR)
    assert response.status_code == 400 and "empty" in response.json["error"]
    assert smtp_server.sink.envelopes == []


def test_a_refused_mail_leaves_no_reply_on_the_ticket(signed_in, seeded, runtime, db):
    runtime.settings = runtime.settings.with_(smtp_url="smtp://127.0.0.1:1")
    token = _token(signed_in, seeded.hanako_ticket)
    response = signed_in.post(f"/desk/tickets/{seeded.hanako_ticket}/reply", headers=XHR,
                              data={"text": "hello", "csrf_token": token})
    assert response.status_code == 502 and "127.0.0.1:1 did not accept" in response.json["error"]
    with db.session() as session:
        assert session.scalar(select(Interaction).where(Interaction.direction == "outbound")) is None
        assert session.get(Ticket, seeded.hanako_ticket).assignee_id is None


def test_a_second_agents_send_is_refused_while_another_is_replying(
        signed_in, seeded, smtp_server, runtime, make_user, app, listening):
    make_user("bob", display_name="Bob")
    bob = app.test_client()
    assert login(bob, "bob").status_code == 302
    ticket = seeded.hanako_ticket
    listener = listening(runtime.redis)
    bob_token = _token(bob, ticket)
    assert bob.post(f"/desk/tickets/{ticket}/presence", headers=XHR,
                    data={"state": "replying", "csrf_token": bob_token}).json["replying"] == ["bob"]
    token = _token(signed_in, ticket)
    refused = signed_in.post(f"/desk/tickets/{ticket}/reply", headers=XHR,
                             data={"text": "私も返信します", "csrf_token": token})
    assert refused.status_code == 409
    assert refused.json["error"].startswith(f"bob is replying to ticket #{ticket} right now")
    assert refused.json["replying"] == ["bob"]
    assert smtp_server.sink.envelopes == []
    sent = signed_in.post(f"/desk/tickets/{ticket}/reply", headers=XHR,
                          data={"text": "私も返信します", "confirm": "1", "csrf_token": token})
    assert sent.status_code == 200 and len(smtp_server.sink.envelopes) == 1
    kinds = listener.kinds(wait=0.3)
    assert "ticket.viewing" in kinds and "ticket.replying" in kinds and "ticket.changed" in kinds
    replying = [e for e in listener.events if e["kind"] == "ticket.replying"]
    assert replying[0] == {**replying[0], "ticket_id": ticket, "replying": ["bob"]}


def test_replying_marks_expire_and_idle_clears_them(runtime, signed_in, seeded):
    clock = [1000.0]
    presence = TicketPresence(runtime.redis, runtime.events, clock=lambda: clock[0])
    presence.mark("replying", 5, "bob")
    assert presence.others_replying(5, "alice") == ["bob"] and presence.others_replying(5, "bob") == []
    assert 0 < runtime.redis.ttl(presence.key("replying", 5)) <= 20   # idle tickets leave no key
    clock[0] += 21                                   # bob's tab died without a goodbye
    assert presence.others_replying(5, "alice") == []
    token = _token(signed_in, seeded.hanako_ticket)
    url = f"/desk/tickets/{seeded.hanako_ticket}/presence"
    assert signed_in.post(url, data={"state": "replying", "csrf_token": token},
                          headers=XHR).json["replying"] == ["alice"]
    assert signed_in.post(url, data={"state": "idle", "csrf_token": token},
                          headers=XHR).json == {"viewing": ["alice"], "replying": []}
    assert signed_in.post(url, data={"state": "leave", "csrf_token": token},
                          headers=XHR).json == {"viewing": [], "replying": []}
    bad = signed_in.post(url, data={"state": "dancing", "csrf_token": token}, headers=XHR)
    assert bad.status_code == 400 and "'dancing' is not a presence state" in bad.json["error"]


def test_notes_are_internal_and_status_and_assignee_change(signed_in, seeded, smtp_server, db,
                                                           make_user):
    bob = make_user("bob", display_name="Bob")
    ticket = seeded.pat_ticket
    token = _token(signed_in, ticket)
    assert signed_in.post(f"/desk/tickets/{ticket}/note", data={
        "text": "Refund issued on 11/20, waiting for the bank.", "csrf_token": token}).status_code == 302
    with db.session() as session:
        alice = session.scalar(select(User).where(User.username == "alice"))
        session.get(Ticket, ticket).assignee_id = None
    assert signed_in.post(f"/desk/tickets/{ticket}/update", data={
        "status": "pending", "assignee": str(alice.id), "csrf_token": token}).status_code == 302
    with db.session() as session:
        notes = session.scalars(select(Interaction).where(Interaction.direction == "internal")
                                .order_by(Interaction.id)).all()
        assert notes[0].ticket_id == ticket and notes[0].channel == "chat"
        assert notes[0].author == "Alice Agent"
        assert notes[1].text == "alice took this ticket."          # owner changes are noted
        row = session.get(Ticket, ticket)
        assert (row.status, row.assignee_id) == ("pending", alice.id)
    given = signed_in.post(f"/desk/tickets/{ticket}/update", headers=XHR,
                           data={"assignee": str(bob.id), "csrf_token": token})
    assert given.status_code == 403 and "only take tickets for themselves" in given.json["error"]
    assert smtp_server.sink.envelopes == []                     # notes never reach the customer
    html = signed_in.get(f"/desk/tickets/{ticket}/timeline").get_data(as_text=True)
    assert "entry-internal" in html and "waiting for the bank" in html
    bad = signed_in.post(f"/desk/tickets/{ticket}/update", headers=XHR,
                         data={"status": "lost", "assignee": "", "csrf_token": token})
    assert bad.status_code == 400 and "'lost' is not a status" in bad.json["error"]
    bad = signed_in.post(f"/desk/tickets/{ticket}/update", headers=XHR,
                         data={"assignee": "9999", "csrf_token": token})
    assert bad.status_code == 400 and "'9999' is not an active agent" in bad.json["error"]


def test_unknown_tickets_and_anonymous_visitors(signed_in, client, app):
    assert signed_in.get("/desk/tickets/424242").status_code == 404
    anonymous = app.test_client()
    assert anonymous.get("/desk/tickets/1").status_code == 302
    refused = anonymous.post("/desk/tickets/1/presence", headers=XHR, json={"state": "viewing"})
    assert refused.status_code == 400 and "CSRF" in refused.json["error"]   # checked first
    assert anonymous.get("/desk/tickets/1/timeline", headers=XHR).status_code == 401


def test_a_broken_templates_file_is_shown_and_does_not_hide_the_ticket(signed_in, seeded,
                                                                       settings):
    (settings.flows_dir / "templates.yaml").write_text("templates: [oops]\n")
    response = signed_in.get(f"/desk/tickets/{seeded.hanako_ticket}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "must have a `templates:` mapping" in html and "先週注文したスニーカー" in html


def test_replies_without_smtp_settings_say_what_to_set(signed_in, seeded, runtime):
    runtime.settings = runtime.settings.with_(smtp_url="")
    token = _token(signed_in, seeded.hanako_ticket)
    response = signed_in.post(f"/desk/tickets/{seeded.hanako_ticket}/reply", headers=XHR,
                              data={"text": "hello", "csrf_token": token})
    assert response.status_code == 503 and "SMTP_URL" in response.json["error"]
