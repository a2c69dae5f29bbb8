"""Several processes distribute at the same moment: each caller is offered once, each agent
gets one call (the database decides)."""

import datetime as dt
import multiprocessing

from sqlalchemy import func, select

from core import agent_states
from core.accounts import User
from core.db import Database
from ivr.acd import queueing
from ivr.acd.config import DEFAULTS
from ivr.acd.distributor import distribute
from ivr.acd.models import Offer

PROCESSES = 4
AGENTS = 24
CALLERS = 30


def _distribute(url: str, start, results) -> None:
    """One process: wait for the others, then distribute until nothing is left."""
    db = Database(url)
    start.wait()
    made = 0
    for _ in range(20):
        with db.session() as session:
            count = len(distribute(session, DEFAULTS, dt.datetime.now(dt.UTC)))
        made += count
    results.put(made)
    db.dispose()


def test_many_processes_never_double_offer(db, database_url, make_user):
    now = dt.datetime.now(dt.UTC)
    with db.session() as session:
        for n in range(CALLERS):
            queueing.join(session, f"CA-{n:03}", "sales", n % 3, {}, 600, "+815012340000",
                          now + dt.timedelta(milliseconds=n))
    for n in range(AGENTS):
        make_user(f"agent{n:02}", queues=["sales"])
    with db.session() as session:  # every agent freed at the same moment
        for user in session.scalars(select(User)):
            agent_states.set_presence(user, "available", now)
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    workers = [context.Process(target=_distribute, args=(database_url, start, results))
               for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    made = sum(results.get(timeout=5) for _ in workers)
    with db.session() as session:
        per_entry = session.execute(select(Offer.waiting_id, func.count())
                                    .group_by(Offer.waiting_id)).all()
        per_agent = session.execute(select(Offer.user_id, func.count())
                                    .group_by(Offer.user_id)).all()
        reserved = session.scalar(select(func.count()).select_from(User)
                                  .where(User.presence == "reserved"))
        offered = set(session.scalars(select(queueing.Waiting.call_sid)
                                      .where(queueing.Waiting.status == "offered")))
    assert made == AGENTS == len(per_entry) == len(per_agent) == reserved
    assert all(count == 1 for _, count in per_entry + per_agent)
    # priority first (2, then 1), then arrival: the 4 earliest of priority 0
    by_priority = sorted(range(CALLERS), key=lambda n: (-(n % 3), n))
    assert offered == {f"CA-{n:03}" for n in by_priority[:AGENTS]}
