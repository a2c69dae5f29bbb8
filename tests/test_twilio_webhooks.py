"""Webhook contract: signatures (403, nothing written), idempotent retries, never a 5xx."""

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select

from core.runtime import Runtime
from core.web.app import create_app
from ivr.models import Call
from ivr.twilio.simulator import Script, Twilio, flask_transport, signed_headers
from tests.conftest import PUBLIC_BASE_URL, TWILIO_SID, TWILIO_TOKEN
from tests.twiml_check import validate

JA_LINE = "+81312345678"
NOON = "2026-11-24T12:00+09:00"
ROUTES = ["/twilio/voice", "/twilio/step?t=1&on=gather", "/twilio/status",
          "/twilio/queue/wait?t=1", "/twilio/recording?kind=call", "/twilio/fallback/done"]


def params(sid="CA" + "1" * 32, **extra):
    return {"AccountSid": TWILIO_SID, "CallSid": sid, "From": "+819011112222", "To": JA_LINE,
            "CallStatus": "ringing", **extra}


def post(client, path, data, *, token=TWILIO_TOKEN, signed_url=None, headers=None):
    url = signed_url or PUBLIC_BASE_URL + path
    return client.post(path, data=data, headers=headers if headers is not None
                       else signed_headers(token, url, data))


def call_row(db) -> Call:
    with db.session() as session:
        return session.scalar(select(Call))


def count(db, model) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("forgery", ["unsigned", "wrong token", "other url", "tampered"])
def test_unsigned_or_forged_requests_get_403_and_write_nothing(client, db, path, forgery):
    data = params(Digits="1")
    if forgery == "unsigned":
        response = post(client, path, data, headers={})
    elif forgery == "wrong token":
        response = post(client, path, data, token="not-the-token")
    elif forgery == "other url":  # a valid signature, computed for a different webhook
        response = post(client, path, data, signed_url=PUBLIC_BASE_URL + "/twilio/elsewhere")
    else:  # signed, then a parameter changed in transit
        headers = signed_headers(TWILIO_TOKEN, PUBLIC_BASE_URL + path, data)
        response = client.post(path, data={**data, "Digits": "9"}, headers=headers)
    assert response.status_code == 403
    assert count(db, Call) == 0


def test_a_replayed_signature_cannot_be_moved_to_another_call(client, db, at):
    at(NOON)
    data = params()
    headers = signed_headers(TWILIO_TOKEN, PUBLIC_BASE_URL + "/twilio/voice", data)
    assert client.post("/twilio/voice", data=data, headers=headers).status_code == 200
    other = {**data, "CallSid": "CA" + "2" * 32}
    assert client.post("/twilio/voice", data=other, headers=headers).status_code == 403
    assert count(db, Call) == 1


def test_signed_request_without_callsid_is_a_clear_400(client, db):
    data = {"AccountSid": TWILIO_SID, "To": JA_LINE}
    response = post(client, "/twilio/voice", data)
    assert response.status_code == 400 and b"CallSid is required" in response.data
    assert count(db, Call) == 0


def test_duplicate_first_webhook_is_answered_once(client, db, at):
    at(NOON)
    first = post(client, "/twilio/voice", params())
    again = post(client, "/twilio/voice", params())
    assert first.data == again.data and first.status_code == again.status_code == 200
    assert count(db, Call) == 1


def test_duplicate_and_stale_step_webhooks_replay_without_side_effects(client, db, at,
                                                                       twiml_schema):
    at(NOON)
    post(client, "/twilio/voice", params())
    events = len(call_row(db).events)
    step = post(client, "/twilio/step?t=1&on=gather", params(Digits="3"))
    after_first = len(call_row(db).events)
    retry = post(client, "/twilio/step?t=1&on=gather", params(Digits="3"))
    late = post(client, "/twilio/step?t=1&on=gather", params(Digits="0"))  # a stale turn
    assert step.data == retry.data == late.data
    validate(twiml_schema, step.get_data(as_text=True))
    assert after_first > events and len(call_row(db).events) == after_first
    with db.session() as session:
        assert session.scalar(select(Call.turn)) == 2


def test_retry_with_idempotency_token_header_is_a_replay(client, db, at):
    at(NOON)
    post(client, "/twilio/voice", params())
    data = params(Digits="3")
    url = PUBLIC_BASE_URL + "/twilio/step?t=1&on=gather"
    headers = {**signed_headers(TWILIO_TOKEN, url, data),
               "I-Twilio-Idempotency-Token": "tok-1"}
    first = client.post("/twilio/step?t=1&on=gather", data=data, headers=headers)
    second = client.post("/twilio/step?t=1&on=gather", data=data, headers=headers)
    assert first.data == second.data


def test_a_failure_inside_a_step_answers_safe_twiml(client, db, at, twiml_schema, caplog):
    at(NOON)
    post(client, "/twilio/voice", params())
    with db.session() as session:  # the stored state points at a step the flow lacks
        call = session.scalar(select(Call))
        call.state = {**call.state, "step": "vanished"}
    response = post(client, "/twilio/step?t=1&on=gather", params(Digits="1"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    validate(twiml_schema, body)
    root = ET.fromstring(body)
    assert root[0].tag == "Say" and root[0].text.startswith("申し訳ございません")
    record = root.find("Record")  # the flow's on_error is its voicemail step
    assert record is not None and "mailbox=support" in record.get("recordingStatusCallback")
    assert root[-1].tag == "Hangup"
    failure = [r for r in caplog.records if r.getMessage().startswith("webhook failed")]
    assert failure and "vanished" in failure[0].exc_text


def test_database_down_still_answers_safe_twiml(settings, redis, twiml_schema):
    broken = Runtime(settings.with_(database_url="postgresql+psycopg://postgres@127.0.0.1:1/x"))
    client = create_app(runtime=broken).test_client()
    response = post(client, "/twilio/voice", params())
    assert response.status_code == 200
    validate(twiml_schema, response.get_data(as_text=True))
    assert b"<Say" in response.data and b"<Hangup" in response.data


def test_unknown_call_at_a_step_answers_safe_twiml(client, db):
    response = post(client, "/twilio/step?t=1&on=gather", params(Digits="1"))
    assert response.status_code == 200 and b"<Hangup" in response.data
    assert count(db, Call) == 0


@pytest.mark.parametrize("inputs, outcome", [
    ([], "abandoned_ivr"),            # hangs up at the main menu
    (["0"], "abandoned_queue"),       # hangs up while waiting for an agent
])
def test_hang_up_mid_call_is_recorded(client, db, at, inputs, outcome):
    at(NOON)
    post(client, "/twilio/voice", params())
    for turn, digits in enumerate(inputs, start=1):
        post(client, f"/twilio/step?t={turn}&on=gather", params(Digits=digits))
    done = post(client, "/twilio/status", params(CallStatus="completed", CallDuration="42"))
    assert done.status_code == 204
    post(client, "/twilio/status", params(CallStatus="completed", CallDuration="42"))
    post(client, "/twilio/status", params(CallStatus="in-progress"))  # late and out of order
    with db.session() as session:
        call = session.scalar(select(Call))
        assert (call.outcome, call.status, call.duration) == (outcome, "completed", 42)
        assert [e["status"] for e in call.events_of("status")] == ["completed"]


def test_status_for_a_call_we_never_answered_is_kept(client, db, at):
    at(NOON)
    post(client, "/twilio/status", params(CallStatus="no-answer"))
    with db.session() as session:
        call = session.scalar(select(Call))
        assert (call.status, call.outcome, call.flow_name) == ("no-answer", "missed", "")


def test_queue_wait_announces_position_then_leaves_at_max_wait(client, db, at):
    at(NOON)
    for n, digits in ((1, "0"), (2, "0"), (3, "0")):   # three callers join the support line
        post(client, "/twilio/voice", params(sid=f"CA{n:032}", From=f"+8190111100{n:02}"))
        enqueue = post(client, "/twilio/step?t=1&on=gather",
                       params(sid=f"CA{n:032}", Digits=digits)).data
        assert b"<Enqueue" in enqueue and b"waitUrl=" in enqueue
    # Our line decides the place (priority, then arrival), not Twilio's QueuePosition.
    wait = post(client, "/twilio/queue/wait?t=2",
                params(sid=f"CA{3:032}", QueuePosition="1", QueueTime="40"))
    assert "お客様は3番目にお待ちいただいております".encode() in wait.data and b"<Play>" in wait.data
    assert "待ち時間" not in wait.data.decode()      # nobody signed in: no estimate to give
    gone = post(client, "/twilio/queue/wait?t=2",
                params(sid=f"CA{3:032}", QueuePosition="1", QueueTime="300"))
    assert b"<Leave" in gone.data


def test_flow_media_is_served_and_paths_are_checked(client, settings):
    (settings.flows_dir / "hold.mp3").write_bytes(b"ID3 fake mp3")
    assert client.get("/media/flows/hold.mp3").data == b"ID3 fake mp3"
    assert client.get("/media/flows/..%2Fconftest.py").status_code == 404
    assert client.get("/media/flows/support_ja.yaml").status_code == 404


def test_every_action_type_through_webhooks(client, settings, at, twiml_schema):
    """play, connect to number/client/sip and goto_flow, which the example flows do not use."""
    (settings.flows_dir / "chime.mp3").write_bytes(b"ID3")
    (settings.flows_dir / "lab.yaml").write_text("""
name: lab
numbers: ["+81355550000"]
language: ja-JP
timezone: Asia/Tokyo
start: chime
steps:
  chime: {play: chime.mp3, loop: 2, next: pick}
  pick:
    menu: {prompt: 選択, options: {"1": number, "2": client, "3": sip, "4": other}}
  number: {connect: {number: "+81312340000", caller_id: "+81355550000", no_answer: end}}
  client: {connect: {client: alice, record: true, no_answer: end}}
  sip: {connect: {sip: "sip:desk@pbx.example.com", no_answer: end}}
  other: {goto_flow: {flow: support, step: bye}}
  end: {hangup: true}
""", encoding="utf-8")
    at(NOON)
    twilio = Twilio(PUBLIC_BASE_URL, TWILIO_SID, TWILIO_TOKEN, flask_transport(client))
    dialed = {}
    for key in "1234":
        result = twilio.call("+819011112222", "+81355550000", Script(inputs=[key]))
        for body in result.twiml:
            validate(twiml_schema, body)
        dialed[key] = result
    assert dialed["1"].heard[0].detail == f"{PUBLIC_BASE_URL}/media/flows/chime.mp3"
    assert 'loop="2"' in dialed["1"].twiml[0]
    assert "<Number>+81312340000</Number>" in dialed["1"].twiml[1]
    assert 'callerId="+81355550000"' in dialed["1"].twiml[1]
    assert "<Client>alice</Client>" in dialed["2"].twiml[1]
    assert 'record="record-from-answer-dual"' in dialed["2"].twiml[1]
    assert "<Sip>sip:desk@pbx.example.com</Sip>" in dialed["3"].twiml[1]
    assert dialed["4"].said() == ["選択", "お電話ありがとうございました。"]
