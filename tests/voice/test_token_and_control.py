"""The softphone's server side: access tokens (claims checked with the key's secret), the
desk's check before dialing, hold and recording pause on the agent's own call through Twilio's
Participants and Recordings APIs, and the wrap-up form with its dispositions."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest
from sqlalchemy import select

from crm_link.models import Interaction
from ivr.voice.models import AgentCall
from tests.acd.conftest import wait_for
from tests.conftest import TWILIO_SID
from tests.desk.desk_helpers import login, page_csrf_token
from tests.voice.conftest import API_KEY, API_SECRET, APP, CUSTOMER, presence
from voicemail.models import Recording


@pytest.fixture
def desk(client, alice):
    """alice's browser, signed in; `post` sends the page's CSRF token like softphone.js."""
    assert login(client).status_code == 302
    token = page_csrf_token(client, "/desk")

    def post(path: str, **form):
        return client.post(path, data=form, headers={"X-CSRF-Token": token,
                                                     "X-Requested-With": "XMLHttpRequest"})

    client.post_json = post
    return client


def test_the_token_is_an_access_token_for_the_agents_own_identity(desk, runtime):
    now = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
    runtime.clock = lambda: now
    body = desk.get("/desk/voice/token").get_json()
    claims = jwt.decode(body["token"], API_SECRET, algorithms=["HS256"],
                        options={"verify_exp": False, "verify_nbf": False})
    assert jwt.get_unverified_header(body["token"])["cty"] == "twilio-fpa;v=1"
    assert (claims["iss"], claims["sub"]) == (API_KEY, TWILIO_SID)
    assert claims["grants"] == {"identity": "alice", "voice": {
        "incoming": {"allow": True}, "outgoing": {"application_sid": APP}}}
    assert claims["nbf"] == int(now.timestamp()) and claims["exp"] - claims["nbf"] == 3600
    assert body["identity"] == "alice" and body["expires_at"] == "2026-12-03T10:00:00Z"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(body["token"], "another secret of at least 32 bytes!", algorithms=["HS256"],
                   options={"verify_exp": False})


def test_nobody_signed_out_gets_a_token(client):
    response = client.get("/desk/voice/token", headers={"X-Requested-With": "XMLHttpRequest"})
    assert response.status_code == 401 and "token" not in response.get_json()


def test_dotted_usernames_get_an_identity_twilio_accepts(client, make_user, db, cloud, phone):
    make_user("bob.smith", queues=["support"])
    assert login(client, "bob.smith").status_code == 302
    body = client.get("/desk/voice/token").get_json()
    with db.session() as session:
        from core.accounts import User
        user_id = session.query(User).filter_by(username="bob.smith").one().id
    assert body["identity"] == f"agent_{user_id}"


def test_without_the_key_the_softphone_is_off_and_the_desk_says_why(client, alice, runtime):
    runtime.settings = runtime.settings.with_(twilio_twiml_app_sid="")
    assert login(client).status_code == 302
    response = client.get("/desk/voice/token")
    assert response.status_code == 503
    assert "TWILIO_TWIML_APP_SID" in response.get_json()["error"]
    page = client.get("/desk").get_data(as_text=True)
    assert 'data-off="1"' in page and "TWILIO_TWIML_APP_SID が設定されていません" in page
    assert "twilio.min.js" not in page            # nothing to load


@pytest.mark.parametrize("to, status, expected", [
    ("090-1234-5678", 200, {"to": CUSTOMER, "display": "090-1234-5678",
                            "caller_id": "+81312345678", "queue": "support"}),
    ("０９０−１２３４−５６７８", 200, {"to": CUSTOMER}),        # full-width, as typed in Japan
    ("+1 212 555 0100", 200, {"to": "+12125550100", "display": "+1 212-555-0100"}),
    ("hello", 409, {"reason": "bad_number", "error": "「hello」は電話番号として認識できません。"}),
])
def test_the_dial_check_normalizes_and_explains(desk, to, status, expected):
    response = desk.post_json("/desk/voice/dial", to=to)
    assert response.status_code == status
    body = response.get_json()
    assert {k: body[k] for k in expected} == expected


def test_a_queue_without_caller_id_refuses_in_the_agents_language(desk, db):
    with db.session() as session:
        from core.accounts import User
        user = session.query(User).filter_by(username="alice").one()
        user.language = "en"
    response = desk.post_json("/desk/voice/dial", to=CUSTOMER, queue="sales")
    assert response.status_code == 409
    assert response.get_json()["error"] == ("Queue \u201csales\u201d has no caller ID "
                                            "(caller_id in queues.yaml).")


def connect(cloud, db, ticket=None):
    cloud.device(CUSTOMER, "answer", after=1, talk=None)     # talks until someone hangs up
    params = {"To": CUSTOMER, **({"ticket": str(ticket)} if ticket else {})}
    leg = cloud.client_call("alice", APP, params)

    def connected():
        with db.session() as session:
            row = session.scalars(select(AgentCall)).first()
            return row if row and row.status == "connected" and row.customer_joined \
                and row.recording_sid else None

    return leg, wait_for(connected)


def test_hold_puts_the_customer_on_hold_music_and_back(desk, phone, cloud, db):
    leg, call = connect(cloud, db)
    body = desk.post_json("/desk/voice/hold", hold="1").get_json()
    assert body["call"]["on_hold"] is True
    room = next(r for r in cloud.rooms.values() if r.sid == call.conference_sid)
    assert room.held[call.customer_call_sid].endswith(".mp3")    # the customer hears music
    update = [f for m, p, f in cloud.requests if "/Participants/" in p]
    assert update[0]["Hold"] == "true" and update[0]["HoldUrl"]
    assert desk.post_json("/desk/voice/hold", hold="0").get_json()["call"]["on_hold"] is False
    assert call.customer_call_sid not in room.held
    cloud.hang_up_leg(leg.sid)
    wait_for(lambda: presence(db, "alice") == "wrap_up")
    with db.session() as session:
        kinds = [e["kind"] for e in session.scalars(select(AgentCall)).first().events]
    assert kinds == ["recording_started", "hold", "resume"]


def test_recording_pause_leaves_a_gap_marked_on_the_recording(desk, phone, cloud, db):
    leg, call = connect(cloud, db)
    assert desk.post_json("/desk/voice/recording", paused="1").get_json()["call"][
        "recording_paused"] is True
    cloud.sleep(3)
    desk.post_json("/desk/voice/recording", paused="0")
    recording = cloud.leg(call.customer_call_sid).recordings[0]
    start, end = recording["pauses"][0]
    assert end is not None and end >= start
    cloud.hang_up_leg(leg.sid)
    with db.session() as session:
        kinds = [e["kind"] for e in session.scalars(select(AgentCall)).first().events]
    assert kinds == ["recording_started", "pause", "unpause"]

    def filed():
        with db.session() as session:
            rec = session.scalar(select(Recording).where(
                Recording.recording_sid == call.recording_sid))
            return rec and session.get(Interaction, rec.interaction_id)

    entry = wait_for(filed)
    [[start, end]] = entry.meta["recording_gaps"]
    assert 0 <= start <= end
    page = desk.get(f"/desk/tickets/{entry.ticket_id}").get_data(as_text=True)
    assert "は録音を一時停止しました" in page


def test_nothing_to_hold_without_a_call(desk):
    response = desk.post_json("/desk/voice/hold", hold="1")
    assert response.status_code == 409
    assert response.get_json()["error"] == "操作できる通話がありません。"


def test_wrap_up_takes_a_disposition_of_the_queue_and_frees_the_agent(desk, phone, cloud, db,
                                                                      ticket):
    leg, call = connect(cloud, db, ticket)
    cloud.hang_up_leg(leg.sid)
    wait_for(lambda: presence(db, "alice") == "wrap_up")
    offered = desk.get("/desk/voice/call").get_json()
    assert offered["call"]["status"] == "ended"
    assert offered["dispositions"] == [{"code": "resolved", "label": "解決"},
                                       {"code": "follow_up", "label": "要フォロー"}]
    refused = desk.post_json("/desk/voice/wrap-up", disposition="refund", note="")
    assert refused.status_code == 409 and presence(db, "alice") == "wrap_up"
    done = desk.post_json("/desk/voice/wrap-up", disposition="resolved", note="交換で合意")
    assert done.status_code == 200 and done.get_json()["call"]["disposition"] == "resolved"
    assert presence(db, "alice") == "available"
    with db.session() as session:
        note = session.scalars(select(Interaction).where(
            Interaction.ticket_id == ticket, Interaction.direction == "internal")).one()
        assert note.text == "交換で合意" and note.meta["disposition"] == "resolved"
        assert note.author == "Alice Agent"


def test_a_note_too_long_is_refused_and_nothing_is_lost(desk, phone, cloud, db):
    leg, call = connect(cloud, db)
    cloud.hang_up_leg(leg.sid)
    wait_for(lambda: presence(db, "alice") == "wrap_up")
    response = desk.post_json("/desk/voice/wrap-up", disposition="resolved", note="あ" * 2001)
    assert response.status_code == 409 and "2000" in response.get_json()["error"]
    assert presence(db, "alice") == "wrap_up"


def test_reports_count_outbound_calls_and_dispositions_apart_from_inbound(desk, phone, cloud,
                                                                         db, app, make_user,
                                                                         ticket):
    leg, call = connect(cloud, db, ticket)
    cloud.hang_up_leg(leg.sid)
    wait_for(lambda: presence(db, "alice") == "wrap_up")
    desk.post_json("/desk/voice/wrap-up", disposition="follow_up", note="")
    wait_for(lambda: _talk(db))
    make_user("sue", role="supervisor")
    client = app.test_client()
    assert login(client, "sue").status_code == 302
    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=9))).date()
    page = client.get(f"/supervisor/reports?from={today}&to={today}").get_data(as_text=True)
    assert "発信（エージェントからお客様へ）" in page and "要フォロー" in page
    csv = client.get(f"/supervisor/reports/outbound.csv?from={today}&to={today}")
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "期間,発信,つながった,平均通話時間（秒）"
    assert lines[1].split(",")[1:3] == ["1", "1"]
    summary = client.get(f"/supervisor/reports/summary.csv?from={today}&to={today}")
    assert summary.get_data(as_text=True).splitlines()[1].split(",")[2] == "0"   # no inbound
    dispositions = client.get(f"/supervisor/reports/dispositions.csv?from={today}&to={today}")
    assert "support,follow_up,要フォロー,1" in dispositions.get_data(as_text=True)


def _talk(db):
    from ivr.models import Call
    with db.session() as session:
        return session.scalar(select(Call.duration).where(Call.direction == "outbound"))
