"""The live snapshot counts a seeded random wall of calls, agents, voicemails and transcriptions."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from rq import Queue
from sqlalchemy import select

from core.accounts import User
from core.agent_states import STATES
from crm_link.models import Customer, Ticket
from ivr.models import Call
from supervisor.live import snapshot
from voicemail.models import Recording

NOW = dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.UTC)   # 12:00 JST
CALL_KINDS = ("ivr", "ivr_recording_voicemail", "waiting", "talking", "ringing_transfer",
              "ended", "stale_waiting")
VOICEMAIL_KINDS = ("untouched", "open_ticket_unassigned", "taken", "ticket_assigned",
                   "ticket_solved", "discarded", "recorded_call")


def _seed_calls(session, rng):
    kinds = []
    for i in range(80):
        kind = rng.choice(CALL_KINDS)
        start = NOW - dt.timedelta(seconds=rng.randrange(60, 3000))
        row = {"outcome": None, "queue": None, "queued_at": None, "answered_at": None,
               "agent": None, "ended_at": None}
        if kind == "ivr_recording_voicemail":
            row["outcome"] = "voicemail"
        elif kind in ("waiting", "stale_waiting"):
            if kind == "stale_waiting":
                start = NOW - dt.timedelta(hours=13)
            row.update(outcome="queued", queue=rng.choice(("support", "sales")),
                       queued_at=start + dt.timedelta(seconds=rng.randrange(1, 50)))
        elif kind == "talking":
            row.update(outcome="agent", queue="support", agent=rng.choice(("alice", "bob")),
                       queued_at=start, answered_at=start + dt.timedelta(seconds=20))
        elif kind == "ringing_transfer":
            row["outcome"] = "transferred"
        elif kind == "ended":
            row.update(outcome=rng.choice(("ivr", "abandoned_queue", "agent")),
                       queue="support", queued_at=start, ended_at=start + dt.timedelta(1 / 24))
        session.add(Call(call_sid=f"CA{i:032d}", from_number="+8190", to_number="+8131",
                         flow_name="support", flow_revision="r1", state={}, status="in-progress",
                         started_at=start, events=[], **row))
        kinds.append((kind, row))
    return kinds


def _seed_voicemails(session, rng, customer_id):
    kinds = []
    for i in range(40):
        kind, status = rng.choice(VOICEMAIL_KINDS), rng.choice(("pending", "transcribed",
                                                                 "failed"))
        ticket = None
        if kind in ("open_ticket_unassigned", "ticket_assigned", "ticket_solved"):
            ticket = Ticket(customer_id=customer_id, subject="留守電", channel="voicemail",
                            status={"ticket_solved": "solved"}.get(kind, rng.choice(("new",
                                                                                       "open"))),
                            assignee_id=7 if kind == "ticket_assigned" else None)
            session.add(ticket)
            session.flush()
        if kind == "discarded":
            status = "discarded"
        updated = NOW - dt.timedelta(hours=rng.choice((1, 30)))
        session.add(Recording(
            recording_sid=f"RE{i:032d}", call_sid="CA1", source_url="https://x/y",
            kind="call" if kind == "recorded_call" else "voicemail", mailbox="main",
            status=status, ticket_id=ticket.id if ticket else None,
            handled_at=NOW if kind == "taken" else None,
            created_at=NOW - dt.timedelta(minutes=i + 1), updated_at=updated))
        kinds.append((kind, status, updated, NOW - dt.timedelta(minutes=i + 1)))
    return kinds


def test_snapshot_counts_the_seeded_wall(db, redis, make_user):
    rng = random.Random(24)
    presences = {}
    for i in range(12):
        user = make_user(f"agent{i}", queues=[rng.choice(("support", "sales", "billing"))])
        presences[user.username] = rng.choice(STATES)
    make_user("gone", queues=["archive"])
    with db.session() as session:
        for user in session.scalars(select(User)):
            if user.username == "gone":
                user.active, user.presence = False, "available"
            else:
                user.presence = presences[user.username]
                user.presence_reason = "休憩" if user.presence == "break" else None
        customer = Customer(name="客")
        session.add(customer)
        session.flush()
        calls = _seed_calls(session, rng)
        voicemails = _seed_voicemails(session, rng, customer.id)
    queue = Queue("transcription", connection=redis)
    for i in range(3):
        queue.enqueue("transcription.jobs.transcribe_recording", 10_000 + i)

    with db.session() as session:
        snap = snapshot(session, NOW, redis)

    counted = Counter(kind for kind, _ in calls)
    assert snap["in_ivr"] == counted["ivr"] + counted["ivr_recording_voicemail"]
    assert snap["waiting"] == counted["waiting"]
    assert snap["talking"] == counted["talking"]
    queues = {q["queue"]: q for q in snap["queues"]}
    assert set(queues) >= {"support", "sales"} and "archive" not in queues
    for name in ("support", "sales"):
        waits = [row["queued_at"] for kind, row in calls
                 if kind == "waiting" and row["queue"] == name]
        assert queues[name]["waiting"] == len(waits)
        longest = (NOW - min(waits)).total_seconds() if waits else 0
        assert queues[name]["longest_wait"] == int(longest)
        assert queues[name]["oldest_queued_at"] == (min(waits).isoformat() if waits else None)
    assert sorted(r["agent"] for r in snap["talking_agents"]) == sorted(
        row["agent"] for kind, row in calls if kind == "talking")
    assert snap["agents"] == {p: list(presences.values()).count(p)
                              for p in STATES}
    unhandled = [v for v in voicemails
                 if v[0] in ("untouched", "open_ticket_unassigned")]
    assert snap["voicemails"]["unhandled"] == len(unhandled)
    assert unhandled and dt.datetime.fromisoformat(snap["voicemails"]["oldest_at"]) == min(
        v[3] for v in unhandled)
    statuses = Counter(status for _, status, _, _ in voicemails)
    assert snap["transcription"]["pending"] == statuses["pending"]
    assert snap["transcription"]["failed"] == statuses["failed"]
    assert snap["transcription"]["failed_recent"] == sum(
        1 for _, status, updated, _ in voicemails
        if status == "failed" and NOW - updated <= dt.timedelta(hours=24))
    assert snap["transcription"]["queued_jobs"] == 3
    assert snap["transcription"]["failed_jobs"] == 0


def test_without_redis_the_queue_figures_are_unknown_and_the_rest_still_counts(db):
    with db.session() as session:
        snap = snapshot(session, NOW, None)
    assert snap["transcription"]["queued_jobs"] is None
    assert snap["in_ivr"] == snap["waiting"] == snap["talking"] == 0
    assert snap["voicemails"] == {"unhandled": 0, "oldest_at": None}
