"""Who gets the next caller: free agents matched to waiting callers, decided by the database.

One pass takes the distributor's lock (PostgreSQL: a transaction-scoped advisory lock;
SQLite: the write lock its sessions take at BEGIN IMMEDIATE), then walks the waiting callers
in priority-then-arrival order and gives each the best free agent of its queue who meets its
skills. Both moves are guarded statements (entry waiting -> offered, agent available ->
reserved), so even without the lock no caller is offered twice and no agent gets two calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.orm import Session

from core import agent_states
from core.accounts import User
from ivr.acd.config import QueueConfig, QueueRules
from ivr.acd.models import Offer, Waiting
from ivr.identity import client_identity

LOCK_KEY = 0x1CD0_0001          # pg_advisory_xact_lock key of the distributor


@dataclass(frozen=True)
class Dispatch:
    """An offer made: ring `to` for the caller of entry `waiting_id`."""

    offer_id: int
    waiting_id: int
    kind: str            # call | callback
    username: str
    to: str
    from_: str
    ring_timeout: int
    call_sid: str | None
    queue: str


def phone_of(user: User) -> str | None:
    """The agent's phone: their `dial` setting, else their browser (Twilio Client identity)."""
    if user.dial:
        return user.dial
    return f"client:{client_identity(user)}"


def distribute(session: Session, config: QueueConfig,
               now: dt.datetime | Callable[[], dt.datetime]) -> list[Dispatch]:
    """Offer every waiting caller a free agent can take; the offers to ring once committed.
    A clock is read again once the free agents are read, so no offer is stamped before the
    state change that made it possible."""
    clock = now if callable(now) else (lambda: now)
    _lock(session)
    now = clock()
    entries = list(session.scalars(
        select(Waiting).where(Waiting.status == "waiting",
                              or_(Waiting.not_before.is_(None), Waiting.not_before <= now))
        .order_by(Waiting.priority.desc(), Waiting.enqueued_at, Waiting.id)))
    if not entries:
        return []
    free = [user for user in session.scalars(
        select(User).where(User.active.is_(True), User.presence == "available"))
        if phone_of(user)]
    last_offer = _last_offers(session, [user.id for user in free]) if free else {}
    now = clock()
    made = []
    for entry in entries:
        if not free:
            break
        rules = config.queue(entry.queue)
        if entry.kind == "callback" and not rules.open_for_callbacks(now):
            continue  # call-backs are dialed only in the queue's hours
        for agent in _ranked(free, entry, rules, config, last_offer):
            dispatch = _reserve(session, entry, agent, rules, now)
            free.remove(agent)  # taken now, or by another process just before
            if dispatch is not None:
                made.append(dispatch)
                break
    return made


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def _last_offers(session: Session, user_ids: list[int]) -> dict[int, dt.datetime]:
    rows = session.execute(select(Offer.user_id, func.max(Offer.created_at))
                           .where(Offer.user_id.in_(user_ids)).group_by(Offer.user_id))
    return {user_id: at for user_id, at in rows}


def _ranked(free: list[User], entry: Waiting, rules: QueueRules, config: QueueConfig,
            last_offer: dict[int, dt.datetime]) -> list[User]:
    """The queue's agents able to take the entry, best first by the queue's strategy."""
    needs = entry.skills or {}
    able = [user for user in free if entry.queue in (user.queues or [])
            and _meets(config.skills_of(user.username), needs)]
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    if rules.strategy == "round_robin":
        return sorted(able, key=lambda u: (last_offer.get(u.id) or epoch, u.username))
    if rules.strategy == "skills":
        return sorted(able, key=lambda u: (-_fit(config.skills_of(u.username), needs),
                                           u.presence_changed_at, u.username))
    return sorted(able, key=lambda u: (u.presence_changed_at, u.username))  # longest idle


def _meets(levels, needs) -> bool:
    return all(levels.get(skill, 0) >= least for skill, least in needs.items())


def _fit(levels, needs) -> int:
    return sum(levels.get(skill, 0) for skill in needs) if needs else sum(levels.values())


def _reserve(session: Session, entry: Waiting, agent: User, rules: QueueRules,
             now: dt.datetime) -> Dispatch | None:
    """Entry waiting -> offered and agent available -> reserved, or neither."""
    taken = session.execute(update(Waiting).where(Waiting.id == entry.id,
                                                  Waiting.status == "waiting")
                            .values(status="offered")).rowcount
    if not taken:
        return None
    if not agent_states.move(session, agent.id, ("available",), "reserved", now):
        session.execute(update(Waiting).where(Waiting.id == entry.id)
                        .values(status="waiting"))
        return None
    offer = Offer(waiting_id=entry.id, user_id=agent.id, queue=entry.queue, status="ringing",
                  created_at=now)
    session.add(offer)
    session.flush()
    return Dispatch(offer.id, entry.id, entry.kind, agent.username, phone_of(agent) or "",
                    entry.dialed or rules.caller_id or "", rules.ring_timeout,
                    entry.call_sid or entry.leg, entry.queue)
