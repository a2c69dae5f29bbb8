"""What a waiting caller is told: their place in line (priority, then arrival) and an estimated
wait from the queue's recent handle times and the agents signed in to it."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from core.accounts import User
from core.agent_states import WORKING
from ivr.acd.models import Offer, Waiting

RECENT_CALLS = 20            # handle times averaged
DEFAULT_HANDLE = 180         # seconds, until the queue has history


@dataclass(frozen=True)
class Estimate:
    position: int            # 1 = next; 0 = not waiting (any more)
    seconds: int | None      # None: nobody staffed, no estimate
    status: str = ""         # the caller's entry: waiting, offered, callback, ...


def estimate(session: Session, call_sid: str, wrap_up: int) -> Estimate:
    entry = session.scalar(select(Waiting).where(Waiting.call_sid == call_sid))
    if entry is None or entry.status not in ("waiting", "offered", "callback"):
        return Estimate(0, None, entry.status if entry else "")
    ahead = session.scalar(select(func.count()).select_from(Waiting).where(
        Waiting.queue == entry.queue, Waiting.status.in_(("waiting", "offered")),
        Waiting.kind == "call", Waiting.id != entry.id,
        or_(Waiting.priority > entry.priority,
            and_(Waiting.priority == entry.priority, Waiting.enqueued_at <= entry.enqueued_at))))
    staffed = sum(1 for queues, in session.execute(
        select(User.queues).where(User.active.is_(True), User.presence.in_(WORKING)))
        if entry.queue in (queues or []))
    position = ahead + 1
    if not staffed:
        return Estimate(position, None, entry.status)
    per_call = handle_time(session, entry.queue) + wrap_up
    return Estimate(position, math.ceil(position / staffed) * per_call, entry.status)


def handle_time(session: Session, queue: str) -> int:
    """Average talk time of the queue's last calls (seconds)."""
    rows = session.execute(select(Offer.answered_at, Offer.ended_at).where(
        Offer.queue == queue, Offer.status == "ended", Offer.answered_at.is_not(None))
        .order_by(Offer.id.desc()).limit(RECENT_CALLS)).all()
    seconds = [(ended - answered).total_seconds() for answered, ended in rows if ended]
    return round(sum(seconds) / len(seconds)) if seconds else DEFAULT_HANDLE


def minutes(seconds: int) -> int:
    """How an estimate is spoken: whole minutes, at least one."""
    return max(1, math.ceil(seconds / 60))
