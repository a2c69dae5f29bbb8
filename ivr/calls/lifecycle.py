"""The call's life outside its flow turns: status reports, an agent answering, its recordings.

These arrive as carrier callbacks (provider-neutral reports here) and are written in an ORM
session; each gives back the live events to publish once it committed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.events import Event
from core.settings import Settings
from ivr.acd import queueing
from ivr.calls.effects import finish_call
from ivr.calls.ports import StatusReport
from ivr.events import CallAnswered, CallEnded
from ivr.models import Call
from ivr.voice import gaps
from voicemail import recordings
from voicemail.models import Recording
from voicemail.recordings import CallFacts, RecordingReport


def status(session: Session, report: StatusReport, now: dt.datetime) -> list[Event]:
    """Record how and when the call ended (out-of-order and duplicate safe)."""
    call = find(session, report.call_id)
    if call is None:  # the call never reached a flow (e.g. we were down): keep the record
        call = Call(call_sid=report.call_id, from_number=report.caller[:128],
                    to_number=report.dialed[:128], flow_name="", flow_revision="",
                    state={}, turn=0, started_at=now)
        session.add(call)
    ended = call.ended_at is None
    finish_call(call, report, now)
    if ended and call.ended_at is not None:
        queueing.leave(session, call.call_sid, "hangup", now)  # an agent may still ring for them
        return [CallEnded(call.call_sid, call.outcome, call.queue, call.agent, call.duration)]
    return []


def agent_answered(session: Session, call_id: str, agent: str, now: dt.datetime) -> list[Event]:
    """An offered agent picked up: who took the call; their screen pops."""
    call = find(session, call_id)
    if call is None:
        return []
    call.answered_at, call.agent, call.outcome = call.answered_at or now, agent, "agent"
    call.events = [*(call.events or []), {"at": now.isoformat(), "kind": "agent_answered",
                                          "agent": agent}]
    return [CallAnswered(call_id, agent, call.queue, (call.state or {}).get("caller", {}))]


def callback_answered(session: Session, call_id: str, agent: str) -> list[Event]:
    """An agent took a call-back of this call: their screen pops (the call itself, long over,
    keeps its outcome)."""
    call = find(session, call_id)
    if call is None:
        return []
    return [CallAnswered(call_id, agent, call.queue, (call.state or {}).get("caller", {}))]


def recording(session: Session, report: RecordingReport, now: dt.datetime,
              settings: Settings) -> tuple[Recording, bool]:
    """A recording of the call: voicemail stores and files it with what the call knows."""
    call = find(session, report.call_sid)
    rec, new = recordings.receive(session, report, _facts(call), now=now,
                                  region=settings.default_region,
                                  window_days=settings.crm.thread_window_days)
    if new and call is not None and call.customer_id is None and rec.customer_id is not None:
        call.customer_id = rec.customer_id  # an unknown caller is a customer now
    if new:
        gaps.mark(session, rec.recording_sid, rec.interaction_id)   # paused for a secret
    return rec, new


def _facts(call: Call | None) -> CallFacts | None:
    if call is None:
        return None
    discarded = frozenset((e.get("mailbox"), e.get("take")) for e in call.events_of("discard_take"))
    outbound = call.direction == "outbound"
    return CallFacts(caller=call.to_number if outbound else call.from_number,
                     language=(call.state or {}).get("language"), queue=call.queue,
                     customer_id=call.customer_id, discarded_takes=discarded,
                     direction=call.direction, ticket_id=call.ticket_id)


def find(session: Session, call_id: str) -> Call | None:
    return session.scalar(select(Call).where(Call.call_sid == call_id))


def queue_of(session: Session, call_id: str) -> str | None:
    """The queue a call went to, if any (for features sorting what the call left behind)."""
    return session.scalar(select(Call.queue).where(Call.call_sid == call_id))


def link_customer(session: Session, call_id: str, customer_id: int) -> None:
    """Tie a call to a customer (an agent saved the caller's number on a record)."""
    call = find(session, call_id)
    if call is not None:
        call.customer_id = customer_id
        session.flush()
