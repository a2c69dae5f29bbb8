"""The live dashboard's snapshot: who is where right now, computed from the database and Redis.

Definitions (outcome values as ivr/call_effects.py records them):

* Only calls not ended (`ended_at` null) and started in the last STALE_AFTER count: a call
  whose final status callback never arrived must not sit on the wall for ever.
* **in the IVR**: not answered, and not waiting in a queue nor ringing a transferred number
  (outcome null, or voicemail/callback while the caller is still recording or confirming).
* **waiting**: outcome `queued`, not answered; per queue with the oldest `queued_at`, from
  which the page counts the longest wait up every second.
* **talking**: answered by an agent (outcome `agent`) and not ended.
* **agents**: active accounts by presence.
* **voicemails not handled**: voicemail recordings still kept (pending, transcribed or failed)
  that nobody marked taken (`handled_at`), whose ticket (if any) is neither assigned nor
  pending/solved/closed: i.e. new or open, and nobody owns it yet.
* **lines, agent states, service level**: see supervisor/live_queues.py.
* **transcription backlog**: recordings pending transcription, failures (total and in the last
  24 hours), and the RQ queue's waiting and failed job counts (None without Redis).
"""

from __future__ import annotations

import datetime as dt
import logging

import redis as redis_lib
from rq import Queue
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from core.accounts import PRESENCES, User  # PRESENCES: the agent states
from crm_link.models import Ticket
from ivr.acd.config import DEFAULTS, QueueConfig
from ivr.models import Call
from supervisor.live_queues import agent_states, lines, service_levels
from transcription.jobs import QUEUE as TRANSCRIPTION_QUEUE
from voicemail.models import Recording

log = logging.getLogger("supervisor.live")

STALE_AFTER = dt.timedelta(hours=12)
FAILURE_WINDOW = dt.timedelta(hours=24)
KEPT = ("pending", "transcribed", "failed")
UNTAKEN_TICKET = ("new", "open")


def snapshot(session: Session, now: dt.datetime, redis: redis_lib.Redis | None = None,
             queues: QueueConfig = DEFAULTS) -> dict:
    """Everything the live dashboard shows, as JSON-ready values."""
    calls = _open_calls(session, now)
    waiting = [c for c in calls if c.outcome == "queued" and c.answered_at is None]
    talking = [c for c in calls if c.outcome == "agent" and c.answered_at is not None]
    in_ivr = [c for c in calls if c.answered_at is None
              and c.outcome not in ("queued", "transferred", "agent")]
    return {
        "now": now.isoformat(),
        "in_ivr": len(in_ivr),
        "waiting": len(waiting),
        "talking": len(talking),
        "queues": _queues(session, waiting, talking, now,
                          service_levels(session, now, queues)),
        "lines": lines(session, now),
        "agent_states": agent_states(session, now),
        "talking_agents": sorted(
            ({"agent": c.agent or "", "queue": c.queue or "",
              "since": c.answered_at.isoformat()} for c in talking),
            key=lambda row: row["since"]),
        "agents": _presence(session),
        "voicemails": _voicemails(session),
        "transcription": _transcription(session, now, redis),
    }


def _open_calls(session: Session, now: dt.datetime):
    return session.execute(
        select(Call.queue, Call.outcome, Call.agent, Call.queued_at, Call.answered_at)
        .where(Call.ended_at.is_(None), Call.started_at >= now - STALE_AFTER)).all()


def _queues(session: Session, waiting, talking, now: dt.datetime,
            levels: dict[str, dict]) -> list[dict]:
    """Every queue someone serves or waits in, with how many wait and the longest wait."""
    names = {c.queue for c in waiting if c.queue} | {c.queue for c in talking if c.queue}
    for served in session.scalars(select(User.queues).where(User.active.is_(True))):
        names.update(served or ())
    rows = []
    for name in sorted(names):
        queued = [c.queued_at for c in waiting if c.queue == name]
        oldest = min(queued) if queued else None
        rows.append({"queue": name, "waiting": len(queued),
                     "talking": sum(1 for c in talking if c.queue == name),
                     "oldest_queued_at": oldest.isoformat() if oldest else None,
                     "longest_wait": int((now - oldest).total_seconds()) if oldest else 0,
                     "service_level": levels.get(name)})
    return rows


def _presence(session: Session) -> dict:
    counts = dict(session.execute(select(User.presence, func.count())
                                  .where(User.active.is_(True)).group_by(User.presence)).all())
    return {presence: counts.get(presence, 0) for presence in PRESENCES}


def _voicemails(session: Session) -> dict:
    query = (select(func.count(), func.min(Recording.created_at))
             .select_from(Recording)
             .outerjoin(Ticket, Ticket.id == Recording.ticket_id)
             .where(Recording.kind == "voicemail", Recording.status.in_(KEPT),
                    Recording.handled_at.is_(None),
                    or_(Ticket.id.is_(None),
                        and_(Ticket.status.in_(UNTAKEN_TICKET), Ticket.assignee_id.is_(None)))))
    count, oldest = session.execute(query).one()
    return {"unhandled": count, "oldest_at": oldest.isoformat() if oldest else None}


def _transcription(session: Session, now: dt.datetime, redis: redis_lib.Redis | None) -> dict:
    counts = dict(session.execute(
        select(Recording.status, func.count())
        .where(Recording.status.in_(("pending", "failed"))).group_by(Recording.status)).all())
    recent = session.scalar(select(func.count()).where(
        Recording.status == "failed", Recording.updated_at >= now - FAILURE_WINDOW))
    queued = failed_jobs = None
    if redis is not None:
        try:
            queue = Queue(TRANSCRIPTION_QUEUE, connection=redis)
            queued, failed_jobs = queue.count, queue.failed_job_registry.count
        except redis_lib.RedisError as exc:  # the page shows "unknown"; the rest still loads
            log.warning("transcription queue unreadable", extra={"error": str(exc)})
    return {"pending": counts.get("pending", 0), "failed": counts.get("failed", 0),
            "failed_recent": recent, "queued_jobs": queued, "failed_jobs": failed_jobs}
