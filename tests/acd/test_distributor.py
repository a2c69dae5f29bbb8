"""Who gets which caller: priority then arrival, the queue's strategy, the caller's skills;
wrap-up ending on time; and the carrier's REST API as the fake of Twilio answers it."""

import datetime as dt

import pytest
from sqlalchemy import update

from core.accounts import User
from ivr.acd import queueing
from ivr.acd.config import parse_queues
from ivr.acd.distributor import distribute
from ivr.acd.models import Offer
from ivr.acd.service import AcdService
from ivr.twilio.carrier import TwilioCarrier
from ivr.twilio.rest import CarrierError, TwilioRest
from ivr.twilio.twiml import Urls
from tests.acd.conftest import set_state
from tests.conftest import PUBLIC_BASE_URL

T0 = dt.datetime(2026, 12, 2, 1, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


@pytest.fixture
def line(db):
    """Callers joining queues at given times."""

    def join(sid: str, queue: str = "sales", second: int = 0, priority: int = 0, **skills):
        with db.session() as session:
            queueing.join(session, sid, queue, priority, skills, 600, "+815012340000",
                          at(second))

    return join


def free(db, make_user, username: str, since: int, queues=("sales",)) -> None:
    make_user(username, queues=list(queues))
    set_state(db, username, "available")
    with db.session() as session:
        session.execute(update(User).where(User.username == username)
                        .values(presence_changed_at=at(since)))


def run(db, queues_yaml: str = "") -> list[tuple[str, str]]:
    with db.session() as session:
        made = distribute(session, parse_queues(queues_yaml, "queues.yaml"), at(100))
    return [(d.call_sid, d.username) for d in made]


def test_callers_go_by_priority_then_arrival(db, make_user, line):
    line("CA-first", second=1)
    line("CA-second", second=2)
    line("CA-vip", second=3, priority=5)
    free(db, make_user, "alice", since=10)
    free(db, make_user, "bob", since=20)
    # the VIP first, then the earliest; the agent free the longest gets the first
    assert run(db) == [("CA-vip", "alice"), ("CA-first", "bob")]
    assert run(db) == []          # nobody is free any more; CA-second keeps waiting


@pytest.mark.parametrize("strategy, expected", [
    ("longest_idle", "bob"),      # available since second 5
    ("round_robin", "alice"),     # never offered a call yet
])
def test_the_queue_strategy_picks_the_agent(db, make_user, line, strategy, expected):
    free(db, make_user, "alice", since=50)
    free(db, make_user, "bob", since=5)
    line("CA-old", second=0)
    with db.session() as session:  # bob took a call a moment ago
        bob = session.query(User).filter_by(username="bob").one()
        old = session.query(queueing.Waiting).filter_by(call_sid="CA-old").one()
        old.status = "ended"
        session.add(Offer(waiting_id=old.id, user_id=bob.id, queue="sales", status="ended",
                          created_at=at(1)))
    line("CA-new", second=60)
    assert run(db, f"queues: {{sales: {{strategy: {strategy}}}}}") == [("CA-new", expected)]


def test_skills_must_be_met_and_the_best_fit_wins(db, make_user, line):
    free(db, make_user, "alice", since=1)
    free(db, make_user, "bob", since=2)
    free(db, make_user, "carl", since=3)
    line("CA-ja", second=0, ja=2)
    config = ("queues: {sales: {strategy: skills}}\n"
              "agents: {alice: {en: 5}, bob: {ja: 2}, carl: {ja: 4}}")
    assert run(db, config) == [("CA-ja", "carl")]   # alice lacks ja; carl has more of it
    line("CA-ja2", second=1, ja=3)
    assert run(db, config) == []                     # bob's ja 2 is not enough


def test_an_agent_of_another_queue_is_not_offered(db, make_user, line):
    free(db, make_user, "alice", since=1, queues=("billing",))
    line("CA-1", second=0)
    assert run(db) == []


class NoCarrier:
    def ring(self, offer_id, to, from_, timeout):
        return f"CA-agent-{offer_id}"

    def bridge(self, call_id, offer_id):
        return True

    def hang_up(self, call_id, ringing):
        pass

    def record(self, call_id):
        pass


def test_wrap_up_ends_after_the_queues_seconds(db, make_user, line, reload_user):
    config = parse_queues("queues: {sales: {wrap_up: 30}}", "queues.yaml")
    now = {"t": at(0)}
    service = AcdService(db, lambda: config, NoCarrier(), lambda: now["t"], lambda e: None)
    free(db, make_user, "alice", since=0)
    line("CA-1", second=0)
    assert service.distribute() == 1
    offer_id = offers_of(db)[0]
    assert reload_user("alice").presence == "reserved"
    assert service.answered(offer_id).room == f"offer-{offer_id}"
    assert reload_user("alice").presence == "on_call"
    now["t"] = at(100)
    service.leg_ended(offer_id, "completed")
    assert reload_user("alice").presence == "wrap_up"
    now["t"] = at(129)
    service.tick()
    assert reload_user("alice").presence == "wrap_up"
    now["t"] = at(130)
    service.tick()
    assert reload_user("alice").presence == "available"
    service.close()


def test_a_ring_the_carrier_never_reports_counts_as_missed(db, make_user, line, reload_user):
    config = parse_queues("queues: {sales: {ring_timeout: 10}}", "queues.yaml")
    now = {"t": at(0)}
    service = AcdService(db, lambda: config, NoCarrier(), lambda: now["t"], lambda e: None)
    free(db, make_user, "alice", since=0)
    line("CA-1", second=0)
    service.distribute()
    now["t"] = at(10 + 61)
    service.tick()
    alice = reload_user("alice")
    assert (alice.presence, alice.presence_reason) == ("break", "missed")
    service.close()


def offers_of(db) -> list[int]:
    with db.session() as session:
        return [o.id for o in session.query(Offer).order_by(Offer.id)]


# ---- the REST API, against the fake of Twilio ------------------------------------------------

def test_the_carrier_speaks_twilios_rest_api(settings, cloud):
    carrier = TwilioCarrier(TwilioRest(settings.twilio), Urls(PUBLIC_BASE_URL))
    cloud.device("client:alice", "no-answer")
    leg = carrier.ring(7, "client:alice", "+815012340000", 10)
    method, path, form = cloud.requests[-1]
    assert path == f"/2010-04-01/Accounts/{settings.twilio.twilio_account_sid}/Calls.json"
    assert form["Url"] == f"{PUBLIC_BASE_URL}/twilio/acd/answer?offer=7"
    assert form["StatusCallback"] == f"{PUBLIC_BASE_URL}/twilio/acd/agent?offer=7"
    assert form["StatusCallbackEvent"] == "answered completed"
    assert leg.startswith("CA")
    assert carrier.bridge("CA" + "0" * 32, 7) is False     # no such call: 404, caller gone
    cloud.legs[leg].status = "completed"
    assert carrier.bridge(leg, 7) is False                 # over: 400 with code 21220


def test_wrong_credentials_are_refused_with_twilios_message(settings, cloud):
    rest = TwilioRest(settings.with_(twilio_auth_token="wrong").twilio)
    with pytest.raises(CarrierError, match="401: Authenticate") as refused:
        rest.create_call("client:alice", "+815012340000", "https://x.test/a",
                         status_callback="https://x.test/s")
    assert refused.value.code == 20003


@pytest.mark.parametrize("when, offered", [
    (dt.datetime(2026, 12, 5, 3, 0, tzinfo=dt.UTC), False),   # Saturday 12:00 in Tokyo
    (dt.datetime(2026, 12, 7, 0, 30, tzinfo=dt.UTC), False),  # Monday 09:30 ... opens at 10
    (dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC), True),    # Monday 11:00
])
def test_call_backs_are_dialed_only_in_the_queues_hours(db, make_user, when, offered):
    free(db, make_user, "alice", since=0)
    with db.session() as session:
        queueing.keep_for_callback(session, "CA-cb", "sales", "+819012345678", None,
                                   "+815012340000", at(0))
    config = parse_queues('queues: {sales: {hours: {mon-fri: "10:00-18:00"}}}', "queues.yaml")
    with db.session() as session:
        made = distribute(session, config, when)
    assert [(d.kind, d.username) for d in made] == ([("callback", "alice")] if offered else [])


class GoneCarrier(NoCarrier):
    def bridge(self, call_id, offer_id):
        return False          # Twilio: 21220, the caller's call is over


def test_an_agent_who_answers_as_the_caller_hangs_up_is_free_again(db, make_user, line,
                                                                   reload_user):
    config = parse_queues("", "queues.yaml")
    service = AcdService(db, lambda: config, GoneCarrier(), lambda: at(5), lambda e: None)
    free(db, make_user, "alice", since=0)
    line("CA-1", second=0)
    service.distribute()
    answered = service.answered(offers_of(db)[0])
    assert answered.room is None and answered.dial is None
    assert reload_user("alice").presence == "available"
    with db.session() as session:
        offer = session.query(Offer).one()
        entry = session.query(queueing.Waiting).one()
        assert (offer.status, offer.answered_at) == ("gone", None)
        assert (entry.status, entry.ended_reason) == ("ended", "hangup")
    service.close()
