"""Round-robin ticket assignment: caps, presence, rules, waiting tickets and concurrent writers."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time

import pytest
from sqlalchemy import func, select

from core import accounts
from core.events import EventBus, Events, unbind
from core.runtime import Runtime
from crm_link.contacts import file_contact
from crm_link.directory import Contact
from crm_link.models import Interaction, Ticket
from crm_link.tickets import update_ticket
from desk import assignment, auto_assign
from desk.assignment import assign_waiting
from desk.assignment_rules import RulesFile
from tests.support.listener import Listener

THREE = """
teams:
  desk: [alice, bob, carol]
  billing: [queue:billing]
rules:
  - when: {keyword: [解約, vip]}
    team: billing
default_team: desk
"""
START = dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    """A clock one second further on each time it is read, so assignment order is exact."""
    ticks = itertools.count()
    return lambda: START + dt.timedelta(seconds=next(ticks))


@pytest.fixture
def rules_dir(tmp_path):
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "assignment.yaml").write_text(THREE, encoding="utf-8")
    return folder


@pytest.fixture
def hooked(db, redis, rules_dir, clock, settings):
    """The desk's assignment subscribed to the test database's events, as an app does."""
    runtime = Runtime(settings.with_(flows_dir=rules_dir), db=db, clock=clock, live_sync=True)
    runtime.bus = EventBus(live=Events(redis).send)
    auto = auto_assign.subscribe(runtime)
    runtime.bus.bind(db.sessions)
    yield auto
    unbind(db.sessions)


def set_presence(db, username, presence, reason=None):
    with db.session() as session:
        accounts.set_presence(accounts.get_user(session, username), presence, reason=reason)


def agents(db, make_user, caps: dict[str, int], presence="available", **fields):
    for name, cap in caps.items():
        make_user(name, max_open_tickets=cap, **fields)
        set_presence(db, name, presence)


counter = itertools.count()


def contact(db, text="お問い合わせです", channel="email", **fields) -> int:
    """File a contact from a new sender (so it opens a new ticket); returns the ticket id."""
    sender = {"email": f"customer{next(counter)}@example.com"}
    result = file_contact(db, Contact(channel=channel, text=text, **{**sender, **fields}))
    assert result.created_ticket
    return result.ticket_id


def owners(db) -> dict[int, str | None]:
    """ticket id -> assignee username (None when waiting)."""
    with db.session() as session:
        names = {u.id: u.username for u in accounts.list_users(session)}
        tickets = session.scalars(select(Ticket).order_by(Ticket.id)).all()
        return {t.id: names.get(t.assignee_id) for t in tickets}


def ticket(db, ticket_id) -> Ticket:
    with db.session() as session:
        return session.get(Ticket, ticket_id)


def test_round_robin_across_three_agents_with_caps(db, hooked, make_user):
    agents(db, make_user, {"alice": 2, "bob": 1, "carol": 3})
    ids = [contact(db) for _ in range(7)]
    assert list(owners(db).values()) == ["alice", "bob", "carol", "alice", "carol", "carol",
                                         None]
    waiting = ticket(db, ids[-1])
    assert waiting.team == "desk" and waiting.assignee_id is None
    assert START <= ticket(db, ids[0]).assigned_at < ticket(db, ids[1]).assigned_at

    with db.session() as session:  # alice solves one: the waiting ticket is hers at once
        update_ticket(session, ids[0], status="solved")
    assert owners(db)[ids[-1]] == "alice"


def test_ties_go_to_whoever_waited_longest(db, hooked, make_user):
    agents(db, make_user, {"alice": 10, "bob": 10, "carol": 10})
    first = [contact(db) for _ in range(3)]
    with db.session() as session:  # everyone finishes their ticket
        for ticket_id in first:
            update_ticket(session, ticket_id, status="solved")
    later = [contact(db) for _ in range(4)]
    assert [owners(db)[t] for t in later] == ["alice", "bob", "carol", "alice"]


def test_agents_on_a_break_or_offline_are_skipped_on_a_call_not(db, hooked, make_user):
    agents(db, make_user, {"alice": 5, "bob": 5, "carol": 5})
    set_presence(db, "alice", "break", "休憩")
    set_presence(db, "bob", "offline")
    set_presence(db, "carol", "on_call")
    ids = [contact(db) for _ in range(2)]
    assert [owners(db)[t] for t in ids] == ["carol", "carol"]


def test_a_waiting_ticket_goes_to_the_agent_who_becomes_available(db, hooked, make_user):
    agents(db, make_user, {"alice": 5}, presence="offline")
    waiting = contact(db)
    assert owners(db)[waiting] is None
    set_presence(db, "alice", "available")
    assert owners(db)[waiting] == "alice"


def test_raising_a_cap_or_joining_a_queue_frees_capacity(db, hooked, make_user):
    agents(db, make_user, {"alice": 0})
    first = contact(db)
    billing = contact(db, text="解約したい")
    assert owners(db) == {first: None, billing: None}
    assert ticket(db, billing).team == "billing"
    with db.session() as session:
        accounts.update_agent(accounts.get_user(session, "alice"), max_open_tickets=1)
    assert owners(db) == {first: "alice", billing: None}
    agents(db, make_user, {"dave": 3}, queues=["billing"])  # a new billing agent
    assert owners(db)[billing] == "dave"


def test_rules_route_by_keyword_ignoring_case_and_width(db, hooked, make_user):
    agents(db, make_user, {"alice": 9})
    agents(db, make_user, {"erin": 9}, queues=["billing"])
    vip = contact(db, text="ＶＩＰ会員です")       # full-width letters
    cancel = contact(db, text="hello", subject="契約の解約について")
    plain = contact(db, text="hello")
    assert owners(db) == {vip: "erin", cancel: "erin", plain: "alice"}


def test_without_a_rules_file_every_agent_is_one_team(db, hooked, make_user, rules_dir):
    (rules_dir / "assignment.yaml").unlink()
    agents(db, make_user, {"sam": 9}, role="supervisor")
    agents(db, make_user, {"alice": 9, "bob": 9})
    ids = [contact(db) for _ in range(3)]
    assert [owners(db)[t] for t in ids] == ["alice", "bob", "alice"]


def test_no_matching_rule_and_no_default_team_stays_unassigned(db, hooked, make_user,
                                                              rules_dir):
    (rules_dir / "assignment.yaml").write_text(
        "teams: {desk: [alice]}\nrules: [{when: {channel: chat}, team: desk}]\n")
    agents(db, make_user, {"alice": 9})
    mail, chat = contact(db), contact(db, channel="chat")
    assert owners(db) == {mail: None, chat: "alice"}
    assert ticket(db, mail).team is None


def test_assignments_are_published_after_commit(db, hooked, make_user, redis):
    agents(db, make_user, {"alice": 9})
    listener = Listener(redis)
    try:
        ticket_id = contact(db)
        time.sleep(0.3)
    finally:
        listener.stop = True
        listener.thread.join(2)
    changed = [e for e in listener.events if e["kind"] == "ticket.changed"]
    assert changed and changed[0]["ticket_id"] == ticket_id
    assert changed[0]["assignee"] == "alice" and changed[0]["team"] == "desk"


def test_a_failing_assignment_still_files_the_contact(db, hooked, make_user, monkeypatch):
    agents(db, make_user, {"alice": 9})

    def broken(*_args, **_kwargs):
        raise RuntimeError("rules exploded")

    monkeypatch.setattr(auto_assign, "assign_ticket", broken)
    ticket_id = contact(db)
    assert owners(db) == {ticket_id: None}
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Interaction)) == 1


def test_tickets_joining_an_open_ticket_do_not_reassign(db, hooked, make_user):
    agents(db, make_user, {"alice": 9, "bob": 9})
    first = file_contact(db, Contact(channel="email", email="same@example.com", text="1"))
    again = file_contact(db, Contact(channel="chat", email="same@example.com", text="2"))
    assert again.ticket_id == first.ticket_id and not again.created_ticket
    assert owners(db) == {first.ticket_id: "alice"}


def slow_counts(monkeypatch, seconds=0.15):
    """Widen the window between counting and claiming, where an unlocked version would race."""
    real = assignment.open_counts

    def slow(session, user_ids):
        counts = real(session, user_ids)
        time.sleep(seconds)
        return counts

    monkeypatch.setattr(assignment, "open_counts", slow)


def test_concurrent_filings_never_exceed_a_cap(db, hooked, make_user, monkeypatch):
    """Eight contacts filed at the same moment by eight threads (own connections, real DB)."""
    agents(db, make_user, {"alice": 2, "bob": 2, "carol": 2})
    slow_counts(monkeypatch)
    start, errors = threading.Barrier(8), []

    def file_one(i):
        try:
            start.wait()
            file_contact(db, Contact(channel="chat", email=f"rush{i}@example.com", text="hi"))
        except Exception as exc:  # noqa: BLE001 -- reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=file_one, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    result = owners(db)
    assert len(result) == 8
    assert sorted(n for n in result.values() if n) == ["alice", "alice", "bob", "bob",
                                                        "carol", "carol"]
    assert list(result.values()).count(None) == 2


def test_concurrent_sweeps_give_each_ticket_once(db, make_user, monkeypatch, rules_dir):
    agents(db, make_user, {"alice": 2, "bob": 1})
    waiting = [contact(db) for _ in range(5)]  # no hook installed: all wait
    assert set(owners(db).values()) == {None}
    rules = RulesFile(rules_dir).current()
    slow_counts(monkeypatch, 0.05)
    start, done, errors = threading.Barrier(3), [], []

    def sweep():
        try:
            start.wait()
            with db.session() as session:
                done.extend(assign_waiting(session, rules))
        except Exception as exc:  # noqa: BLE001 -- reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(d.ticket_id for d in done) == waiting[:3]  # oldest first, each once
    assert sorted(n for n in owners(db).values() if n) == ["alice", "alice", "bob"]


def test_sweep_for_a_worker_assigns_what_waits(db, settings, redis, make_user, rules_dir):
    agents(db, make_user, {"alice": 1})
    waiting = [contact(db) for _ in range(2)]  # filed before any hook: both wait
    runtime = Runtime(settings.with_(flows_dir=rules_dir), db=db)
    done = auto_assign.sweep(runtime)
    assert [(d.ticket_id, d.assignee) for d in done] == [(waiting[0], "alice")]
    assert owners(db) == {waiting[0]: "alice", waiting[1]: None}
