"""While waiting, the caller hears their place and estimated wait; past the threshold they may
press a key for a call-back that keeps their place. Call-backs ring an agent first, then dial
the customer from our number, retry when nobody answers, and note every try on the ticket."""

from sqlalchemy import select

from crm_link.models import Interaction, Ticket
from ivr.acd.models import Waiting
from ivr.acd.service import AcdService
from ivr.twilio.simulator import Script
from tests.acd.conftest import LINE, set_state, wait_for

CALLER = "+819012345678"


def entry(db) -> Waiting:
    with db.session() as session:
        row = session.scalar(select(Waiting))
        session.expunge(row)
        return row


def notes(db) -> list[str]:
    with db.session() as session:
        return [n.text for n in session.scalars(select(Interaction).where(
            Interaction.direction == "internal").order_by(Interaction.id))]


def book_by_key(phone, agent, db):
    agent("bob", available=False)
    set_state(db, "bob", "available")
    with db.session() as session:               # bob is staffed but busy on another call
        from core.accounts import find_user
        find_user(session, "bob").presence = "on_call"
    return phone.call(CALLER, LINE, Script(queue_key="1", queue_step_seconds=5))


def test_the_waiting_caller_hears_place_and_wait_and_keeps_it_for_a_call_back(
        phone, cloud, agent, db):
    result = book_by_key(phone, agent, db)
    said = result.said()
    assert any("お客様は1番目にお待ちいただいております。" in s for s in said)
    assert "およその待ち時間は4分です。" in said          # (180 s handle + 30 s wrap-up) / 1 agent
    assert any("順番はそのままで、折り返しのお電話をご希望の場合は1を押してください。" in s
               for s in said)
    assert said[-1] == "折り返しのお電話を承りました。担当者よりご連絡いたします。"
    kept = entry(db)
    assert (kept.kind, kept.status, kept.number) == ("callback", "waiting", CALLER)
    with db.session() as session:
        ticket = session.get(Ticket, kept.ticket_id)
        assert ticket.subject == "Callback request (sales)"
    assert cloud.calls_to("client:bob") == []               # bob is on a call


def test_a_call_back_rings_the_agent_then_dials_the_customer_from_our_number(
        phone, cloud, agent, db, reload_user):
    book_by_key(phone, agent, db)
    placed_at = entry(db).enqueued_at
    cloud.device(CALLER, "answer", after=3, talk=40)
    agent("alice")
    wait_for(lambda: entry(db).status == "ended")
    cloud.wait_idle()
    dialed = cloud.calls_to(CALLER)          # into alice's room, from our number
    assert len(dialed) == 1 and dialed[0]["From"] == "+815012340000"
    assert "/twilio/outbound/answer" in dialed[0]["Url"]
    done = entry(db)
    assert (done.status, done.ended_reason, done.attempts) == ("ended", "served", 1)
    assert done.enqueued_at == placed_at                    # the place was kept
    assert notes(db) == [f"Call-back reached {CALLER} (agent alice, try 1)."]
    with db.session() as session:     # the booking call keeps its outcome
        from ivr.models import Call
        assert session.scalar(select(Call.outcome).where(Call.direction == "inbound")) == \
            "callback"
        dialed_row = session.scalar(select(Call).where(Call.direction == "outbound"))
        assert (dialed_row.outcome, dialed_row.agent) == ("answered", "alice")  # an outbound
        assert dialed_row.ticket_id == done.ticket_id                          # on its ticket
    assert reload_user("alice").presence == "wrap_up"
    legs = [leg for leg in cloud.legs.values() if leg.to == "client:alice"]
    assert legs[0].heard == ["折り返しのお電話です。お客様におつなぎします。"]


def test_an_unanswered_call_back_is_tried_again_later_then_given_up(
        phone, cloud, agent, db, runtime, reload_user):
    book_by_key(phone, agent, db)
    cloud.device(CALLER, "no-answer")
    agent("alice")
    wait_for(lambda: entry(db).attempts == 1 and reload_user("alice").presence == "wrap_up")
    cloud.wait_idle()
    waiting = entry(db)
    assert (waiting.status, waiting.attempts) == ("waiting", 1)
    assert waiting.not_before is not None
    assert "trying again" in notes(db)[0] and "no-answer" in notes(db)[0]
    set_state(db, "alice", "available")                     # free again: not before the retry
    acd = runtime.services[AcdService]
    assert acd.tick() == 0 and len(cloud.calls_to("client:alice")) == 1
    later = waiting.not_before
    runtime.clock = lambda: later
    acd.kick()
    wait_for(lambda: entry(db).status == "ended")
    cloud.wait_idle()
    given_up = entry(db)
    assert (given_up.status, given_up.ended_reason, given_up.attempts) == (
        "ended", "unreached", 2)
    assert "given up" in notes(db)[-1]
