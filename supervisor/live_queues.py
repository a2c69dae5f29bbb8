"""The wall's live half of the queues: who waits in each line and since when, every agent's
state and since when, and today's service level per queue.

* **waiting**: callers in line (`acd_waiting` waiting or being offered), and call-backs due.
* **service level today**: of the queue's callers who joined since local midnight, those an
  agent answered within the queue's `service_level` seconds, divided by those answered plus
  those who gave up (hung up or left the line unanswered), in percent; None before anyone.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts import User
from ivr.acd.config import QueueConfig
from ivr.acd.models import Offer, Waiting
from ivr.voice.models import AgentCall
from supervisor.reports_periods import DEFAULT_TIMEZONE


def lines(session: Session, now: dt.datetime) -> dict[str, list[dict]]:
    """queue -> who waits, in the order they will be offered."""
    rows = session.execute(select(Waiting.queue, Waiting.kind, Waiting.priority,
                                  Waiting.enqueued_at, Waiting.status)
                           .where(Waiting.status.in_(("waiting", "offered")),
                                  (Waiting.not_before.is_(None)) | (Waiting.not_before <= now))
                           .order_by(Waiting.priority.desc(), Waiting.enqueued_at)).all()
    result: dict[str, list[dict]] = {}
    for row in rows:
        result.setdefault(row.queue, []).append({
            "kind": row.kind, "priority": row.priority, "since": row.enqueued_at.isoformat(),
            "offered": row.status == "offered",
            "waited": int((now - row.enqueued_at).total_seconds())})
    return result


def agent_states(session: Session, now: dt.datetime) -> list[dict]:
    """Every agent's state and time in it; `call`: their desk call a supervisor may join."""
    users = session.scalars(select(User).where(User.active.is_(True))
                            .order_by(User.username))
    live = dict(session.execute(select(AgentCall.user_id, func.max(AgentCall.id))
                                .where(AgentCall.status == "connected",
                                       AgentCall.conference_sid.is_not(None))
                                .group_by(AgentCall.user_id)).all())
    return [{"username": u.username, "name": u.display_name or u.username,
             "status": u.presence, "reason": u.presence_reason,
             "since": u.presence_changed_at.isoformat(), "call": live.get(u.id),
             "seconds": int((now - u.presence_changed_at).total_seconds())} for u in users]


def service_levels(session: Session, now: dt.datetime, config: QueueConfig,
                   timezone: str = DEFAULT_TIMEZONE) -> dict[str, dict]:
    local = now.astimezone(ZoneInfo(timezone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    answered = (select(Offer.waiting_id, func.min(Offer.answered_at).label("at"))
                .where(Offer.answered_at.is_not(None)).group_by(Offer.waiting_id).subquery())
    rows = session.execute(
        select(Waiting.queue, Waiting.enqueued_at, Waiting.status, answered.c.at)
        .outerjoin(answered, answered.c.waiting_id == Waiting.id)
        .where(Waiting.kind == "call", Waiting.enqueued_at >= midnight)).all()
    levels: dict[str, dict] = {}
    for row in rows:
        rules = config.queue(row.queue)
        level = levels.setdefault(row.queue, {"threshold": rules.service_level, "answered": 0,
                                              "within": 0, "abandoned": 0, "percent": None})
        if row.at is not None:
            level["answered"] += 1
            level["within"] += (row.at - row.enqueued_at).total_seconds() <= rules.service_level
        elif row.status == "ended":
            level["abandoned"] += 1
    for level in levels.values():
        handled = level["answered"] + level["abandoned"]
        level["percent"] = round(100 * level["within"] / handled, 1) if handled else None
    return levels
