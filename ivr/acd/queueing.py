"""Callers join and leave the line: one acd_waiting row per call keeps their place.

Written in the caller's own turn (join) and when their call ends (leave); the distributor
reads the rows in priority-then-arrival order.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import agent_states
from core.events import emit
from ivr.acd.events import OfferCanceled
from ivr.acd.models import Offer, Waiting

OPEN = ("waiting", "offered", "connected")


def join(session: Session, call_sid: str, queue: str, priority: int,
         skills: dict[str, int], max_wait: int, dialed: str, now: dt.datetime,
         record: bool = False) -> Waiting:
    """The caller starts waiting (again, after a lost agent: their first place is kept)."""
    entry = session.scalar(select(Waiting).where(Waiting.call_sid == call_sid))
    if entry is None:
        entry = Waiting(kind="call", call_sid=call_sid, queue=queue, priority=priority,
                        skills=dict(skills), max_wait=max_wait, dialed=dialed[:128],
                        enqueued_at=now, status="waiting", attempts=0, record=record)
        session.add(entry)
    else:
        entry.queue, entry.priority, entry.skills = queue, priority, dict(skills)
        entry.record = record
        entry.status, entry.ended_at, entry.ended_reason = "waiting", None, None
    session.flush()
    return entry


def status_of(session: Session, call_sid: str) -> str | None:
    return session.scalar(select(Waiting.status).where(Waiting.call_sid == call_sid))


def leave(session: Session, call_sid: str, reason: str, now: dt.datetime) -> list[Offer]:
    """The caller left the line (hung up, gave up, timed out): their entry ends; an agent whose
    phone still rings with them is free again, and that leg is stopped once this commits."""
    entry = session.scalar(select(Waiting).where(Waiting.call_sid == call_sid,
                                                 Waiting.status.in_(OPEN)))
    if entry is None or entry.kind == "callback":  # a call-back outlives the call
        return []
    return _end(session, entry, reason, now)


def join_transfer(session: Session, room: str, leg: str, queue: str, number: str | None,
                  ticket_id: int | None, dialed: str | None, now: dt.datetime) -> Waiting:
    """An agent handed their customer to a queue: the customer holds in `room` until the
    queue's next agent joins them there."""
    entry = Waiting(kind="transfer", call_sid=None, queue=queue, priority=0, skills={},
                    enqueued_at=now, max_wait=3600, record=False, status="waiting",
                    room=room, leg=leg, number=number, ticket_id=ticket_id, dialed=dialed)
    session.add(entry)
    session.flush()
    return entry


def leave_room(session: Session, room: str, reason: str, now: dt.datetime) -> list[Offer]:
    """A transferred customer's room ended (they hung up): their entry ends like a caller's."""
    entry = session.scalar(select(Waiting).where(Waiting.room == room, Waiting.kind == "transfer",
                                                 Waiting.status.in_(OPEN)))
    return _end(session, entry, reason, now) if entry is not None else []


def _end(session: Session, entry: Waiting, reason: str, now: dt.datetime) -> list[Offer]:
    served = entry.status == "connected"   # the agent had them: the call ended after service
    entry.status, entry.ended_at = "ended", now
    entry.ended_reason = "served" if served else reason
    ringing = list(session.scalars(select(Offer).where(Offer.waiting_id == entry.id,
                                                       Offer.status == "ringing")))
    for offer in ringing:
        offer.status, offer.ended_at = "canceled", now
        agent_states.move(session, offer.user_id, ("reserved",), "available", now)
        emit(session, OfferCanceled(offer.id, offer.agent_call_sid))
    session.flush()
    return ringing


def request_callback(session: Session, call_sid: str) -> bool:
    """The waiting caller asked for a call-back: out of the line until the call turn books it
    (guarded: an offer ringing for them now goes ahead)."""
    return bool(session.execute(update(Waiting).where(Waiting.call_sid == call_sid,
                                                      Waiting.status == "waiting")
                                .values(status="callback")).rowcount)


def keep_for_callback(session: Session, call_sid: str, queue: str, number: str,
                      ticket_id: int | None, dialed: str, now: dt.datetime) -> Waiting:
    """A call-back to dial: the caller's place in line when they had one, else from now."""
    entry = session.scalar(select(Waiting).where(Waiting.call_sid == call_sid))
    if entry is None:
        entry = Waiting(call_sid=call_sid, queue=queue, priority=0, skills={}, max_wait=0,
                        enqueued_at=now, attempts=0, dialed=dialed[:128], record=False)
        session.add(entry)
    entry.kind, entry.status, entry.number = "callback", "waiting", number
    entry.ticket_id = ticket_id
    entry.ended_at = entry.ended_reason = None
    session.flush()
    return entry


def requeue(session: Session, entry_id: int) -> bool:
    """An offer failed: the entry waits again with its first place (guarded on 'offered')."""
    return bool(session.execute(update(Waiting).where(Waiting.id == entry_id,
                                                      Waiting.status == "offered")
                                .values(status="waiting")).rowcount)
