"""Scripted calls through the shipped example flows, with Twilio played by the simulator."""

import pytest
from sqlalchemy import select

from core import accounts, agent_states
from crm_link.contacts import record_contact
from crm_link.customers import create_customer
from crm_link.directory import Contact
from crm_link.models import Ticket
from ivr.models import Call
from ivr.twilio.simulator import Script
from voicemail.models import Recording

JA_LINE, EN_LINE = "+81312345678", "+12025550143"
TUESDAY_NOON_TOKYO = "2026-11-24T12:00+09:00"
TUESDAY_10AM_NEW_YORK = "2026-11-24T10:00-05:00"


def call_row(db, sid) -> Call:
    with db.session() as session:
        return session.scalar(select(Call).where(Call.call_sid == sid))


def steps(call: Call) -> list[str]:
    return [e["step"] for e in call.events_of("step")]


@pytest.fixture
def yamada(db):
    with db.session() as session:
        return create_customer(session, name="山田花子", phones=["090-1234-5678"]).id


def test_ja_known_caller_switches_to_english_gives_member_number_then_voicemail(
        twilio, db, at, yamada):
    at(TUESDAY_NOON_TOKYO)
    result = twilio.call("+819012345678", JA_LINE, Script(inputs=["9", "1", "1234567", ""]))
    said = result.said()
    assert said[:2] == ["お電話ありがとうございます。ABCストア、お客様サポートです。",
                        "山田花子様、いつもご利用いただきありがとうございます。"]
    assert "For orders, press 1." in said[3]
    assert "Thank you. Member number 1234567. Connecting you to an operator." in said
    assert "This call will be recorded for quality purposes." in said
    assert "All of our agents are busy. You are number 1 in line." in said
    assert said[-2:] == ["Your message has been saved.", "Thank you for calling."]
    call = call_row(db, result.call_sid)
    assert call.customer_id == yamada and call.caller_phone == "+819012345678"
    assert call.outcome == "voicemail" and call.queue == "support"
    assert call.state["vars"] == {"member_id": "1234567"} and call.state["language"] == "en-US"
    assert steps(call)[:6] == ["welcome", "greet", "greet_by_name", "route", "menu", "english"]
    assert result.ended_by == "hangup"
    assert all(status < 400 for path, status in result.requests if path != "/twilio/recording")


@pytest.fixture
def agent_of(make_user, db, cloud):
    """An available agent of `queue` whose browser phone answers."""

    def make(queue: str) -> None:
        make_user(f"agent_{queue}", queues=[queue])
        cloud.device(f"client:agent_{queue}", "answer", after=2)
        with db.session() as session:
            agent_states.set_by_hand(accounts.find_user(session, f"agent_{queue}"), "available")

    return make


def test_ja_store_hours_then_operator_answers(phone, db, at, agent_of, cloud):
    at(TUESDAY_NOON_TOKYO)
    agent_of("support")
    result = phone.call("+819011112222", JA_LINE, Script(inputs=["3", "0"]))
    cloud.wait_idle()
    said = result.said()
    assert "店舗の営業時間は、毎日午前10時から午後8時まで、元日は休業です。" in said
    assert "現在、店舗は営業中です。" in said
    assert said[-1] == "お電話ありがとうございました。"
    call = call_row(db, result.call_sid)
    assert call.outcome == "agent" and call.answered_at is not None
    with db.session() as session:   # the conversation was recorded and filed with the caller
        recording = session.scalar(select(Recording).where(Recording.call_sid == call.call_sid))
    assert recording.kind == "call" and recording.customer_id == call.customer_id is not None
    assert recording.channels == 2        # the caller's leg on two channels: caller, agent


@pytest.mark.parametrize("when, why", [
    ("2026-11-24T20:00+09:00", "after hours"),
    ("2026-11-23T12:00+09:00", "Labour Thanksgiving Day (public holiday)"),
    ("2026-12-31T12:00+09:00", "closed_on 12-31"),
    ("2026-11-29T12:00+09:00", "Sunday"),
])
def test_ja_closed_goes_to_voicemail(twilio, db, at, when, why):
    at(when)
    result = twilio.call("+819011112222", JA_LINE, Script(inputs=["1"]))
    said = result.said()
    assert said[1].startswith("本日の受付は終了いたしました。"), why
    assert said[2].startswith("発信音の後に、お名前とご用件をお話しください。")
    assert call_row(db, result.call_sid).outcome == "voicemail"


def test_ja_speech_reaches_returns_and_books_a_callback(twilio, db, at, yamada):
    at(TUESDAY_NOON_TOKYO)
    result = twilio.call("+819012345678", JA_LINE, Script(inputs=["speech:返品したいです", "1", "1"]))
    said = result.said()
    assert said[-4].startswith("商品の到着から30日以内であれば")
    assert said[-3].startswith("090-1234-5678 に折り返しお電話いたします")
    assert said[-2:] == ["折り返しのお電話を承りました。担当者よりご連絡いたします。",
                         "お電話ありがとうございました。"]
    with db.session() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.customer_id == yamada))
        assert ticket.subject == "Callback request (returns)"
    assert call_row(db, result.call_sid).outcome == "callback"


def test_ja_no_input_three_times_falls_back_to_an_operator(twilio, db, at):
    at(TUESDAY_NOON_TOKYO)
    result = twilio.call("+819011112222", JA_LINE, Script(inputs=["", "", ""]))
    said = result.said()
    assert said.count("入力が確認できませんでした。") == 2
    assert "サービス向上のため、通話を録音させていただきます。" in said  # reached the agent step
    call = call_row(db, result.call_sid)
    assert [e["reason"] for e in call.events_of("input_failed")] == ["no_input"] * 3


def test_en_known_caller_with_open_ticket_goes_to_their_team(twilio, db, at):
    with db.session() as session:
        record_contact(session, Contact(channel="email", email="pat@example.com",
                                        phone="+12025550199", name="Pat", subject="Broken",
                                        text="It broke."), region="US")
    at(TUESDAY_10AM_NEW_YORK)
    result = twilio.call("+12025550199", EN_LINE, Script(inputs=["1"], dial="no-answer"))
    said = result.said()
    assert said[1].startswith("Welcome back, Pat. We see an open request on your account.")
    call = call_row(db, result.call_sid)
    assert "tech_queue" in steps(call) and call.queue == "tech"


def test_en_speech_account_number_gets_priority(phone, db, at, agent_of, cloud):
    at(TUESDAY_10AM_NEW_YORK)
    agent_of("tech")
    result = phone.call("+12025550123", EN_LINE,
                        Script(inputs=["speech:support", "speech:AC 12345"]))
    cloud.wait_idle()
    assert "Thank you. Your account AC 12345 has priority support." in result.said()
    assert call_row(db, result.call_sid).outcome == "agent"


def test_en_anonymous_caller_types_a_us_number_for_the_callback(twilio, db, at):
    at(TUESDAY_10AM_NEW_YORK)
    result = twilio.call("anonymous", EN_LINE, Script(inputs=["3", "2025550143#"]))
    assert "Thank you. We will call you back shortly." in result.said()
    call = call_row(db, result.call_sid)
    booked = call.events_of("callback_booked")
    assert booked and booked[0]["number"] == "+12025550143"
    assert call.caller_phone is None and call.state["caller"]["phone_kind"] == "anonymous"


def test_en_closed_on_sunday(twilio, db, at):
    at("2026-11-29T10:00-05:00")
    result = twilio.call("+12025550123", EN_LINE, Script())
    assert result.said()[1].startswith("Our office is closed.")


def test_a_callback_from_an_unknown_caller_links_the_call_to_the_new_customer(twilio, db, at):
    at(TUESDAY_10AM_NEW_YORK)
    result = twilio.call("+12025550177", EN_LINE, Script(inputs=["3", "1"]))
    call = call_row(db, result.call_sid)
    assert call.outcome == "callback" and call.customer_id is not None
    assert call.events_of("callback_booked")[0]["customer_id"] == call.customer_id
