"""The wall's queues: who waits in line and since when, each agent's state and time in it, and
today's service level (answered within the threshold / answered + given up)."""

import datetime as dt

from core.accounts import find_user
from ivr.acd import queueing
from ivr.acd.config import parse_queues
from ivr.acd.models import Offer, Waiting
from supervisor.live import snapshot
from tests.desk.desk_helpers import login

NOW = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)     # 12:00 in Tokyo


def ago(seconds: int) -> dt.datetime:
    return NOW - dt.timedelta(seconds=seconds)


def seed(db, make_user):
    make_user("alice", display_name="青木 アリス", queues=["sales"])
    with db.session() as session:
        alice = find_user(session, "alice")
        alice.presence, alice.presence_changed_at = "on_call", ago(75)
        for sid, joined, answered, status in (("CA-a", 100, 90, "ended"),    # within 20 s
                                              ("CA-b", 80, 40, "ended"),     # after 40 s
                                              ("CA-c", 30, None, "ended"),   # gave up
                                              ("CA-d", 12, None, "waiting")):
            entry = queueing.join(session, sid, "sales", 0, {}, 600, "+815012340000",
                                  ago(joined))
            entry.status = status
            if answered is not None:
                session.add(Offer(waiting_id=entry.id, user_id=alice.id, queue="sales",
                                  status="ended", created_at=ago(answered + 2),
                                  answered_at=ago(answered)))
        session.add(Waiting(kind="callback", queue="sales", call_sid="CA-cb", priority=0,
                            skills={}, max_wait=0, enqueued_at=ago(3600), status="waiting",
                            attempts=0, number="+819012345678"))


def test_the_snapshot_has_lines_states_and_service_level(db, make_user):
    seed(db, make_user)
    config = parse_queues("queues: {sales: {service_level: 20}}", "queues.yaml")
    with db.session() as session:
        live = snapshot(session, NOW, None, config)
    assert [(r["kind"], r["waited"]) for r in live["lines"]["sales"]] == [
        ("callback", 3600), ("call", 12)]
    alice = next(a for a in live["agent_states"] if a["username"] == "alice")
    assert (alice["status"], alice["seconds"]) == ("on_call", 75)
    sales = next(q for q in live["queues"] if q["queue"] == "sales")
    assert sales["service_level"] == {"threshold": 20, "answered": 2, "within": 1,
                                      "abandoned": 1, "percent": 33.3}


def test_the_wall_shows_them_in_the_supervisors_language(client, db, make_user, at):
    seed(db, make_user)
    make_user("sam", role="supervisor", language="ja")
    at(NOW.isoformat())
    login(client, "sam")
    page = client.get("/supervisor/live").get_data(as_text=True)
    assert "待ち行列" in page and "エージェントの状態" in page and "本日のサービスレベル" in page
    assert "青木 アリス" in page and "通話中" in page and "折り返し" in page
    assert "33.3% (1/3, 20s)" in page
