"""What a call turn leaves behind: call events, outcome fields, callback tickets, discarded takes.

Outcome fields and the turn's events are computed here and written by the turn's one guarded
UPDATE of the call row. Only the rare effects (a booked call-back, a discarded voicemail take)
touch other tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from core.events import Event
from core.settings import Settings
from crm_link.contacts import record_contact
from crm_link.directory import Contact
from ivr.acd import queueing
from ivr.calls.ports import StatusReport
from ivr.calls.rows import CallFacts
from ivr.events import CallQueued
from ivr.flows.actions import (
    BookCallback,
    DiscardTake,
    Effect,
    JoinQueue,
    LeaveQueue,
    Note,
    Turn,
)
from ivr.models import Call
from voicemail import recordings

FINAL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}
ANSWERED = {"completed", "answered", "bridged"}


def outcome_fields(call: CallFacts, effects: Sequence[Effect], now: dt.datetime,
                   events: Sequence[dict] = ()) -> dict:
    """Queue, timestamps, outcome and customer the turn implies, for the call's UPDATE."""
    fields: dict = {}
    booked = [e for e in events if e.get("kind") == "callback_booked"]
    if booked and call.customer_id is None:  # the call-back made an unknown caller a customer
        fields["customer_id"] = booked[-1]["customer_id"]
    current = {"queue": call.queue, "queued_at": call.queued_at,
               "answered_at": call.answered_at}
    for note in (e for e in effects if isinstance(e, Note)):
        data = note.data
        if note.kind == "connect":
            fields["outcome"] = "queued" if data["kind"] == "queue" else "transferred"
            if data["kind"] == "queue":
                fields["queue"] = current["queue"] = data["target"]
                fields["queued_at"] = current["queued_at"] = current["queued_at"] or now
        elif note.kind in ("dial_result", "queue_result"):
            if (data.get("status") or data.get("result")) in ANSWERED:
                fields["answered_at"] = current["answered_at"] = current["answered_at"] or now
                fields["outcome"] = "agent" if current["queue"] else "transferred"
        elif note.kind == "voicemail":
            fields["outcome"] = "voicemail"
        if any(isinstance(e, BookCallback) for e in effects):
            fields["outcome"] = "callback"
    return fields


def needs_transaction(effects: Sequence[Effect]) -> bool:
    """True when a turn writes more than the call row (a call-back ticket, a discarded take)."""
    return any(not isinstance(effect, Note) for effect in effects)


def turn_events(session: Session | None, call: CallFacts, effects: Sequence[Effect],
                now: dt.datetime, settings: Settings) -> list[dict]:
    """The call's event log with this turn's events; carries out the rare effects on the way
    (in `session`, which may be None when there are none: see needs_transaction)."""
    at = now.isoformat()
    added = []
    for effect in effects:
        if isinstance(effect, Note):
            added.append({"at": at, "kind": effect.kind, **effect.data})
        elif isinstance(effect, BookCallback):
            booked = _book_callback(session, call, effect, now, settings)
            queueing.keep_for_callback(session, call.call_sid, effect.queue, effect.number,
                                       booked["ticket_id"], call.to_number or "", now)
            added.append({"at": at, **booked})
        elif isinstance(effect, JoinQueue):
            queueing.join(session, call.call_sid, effect.queue, effect.priority,
                          dict(effect.skills), effect.max_wait, call.to_number or "", now,
                          effect.record)
        elif isinstance(effect, LeaveQueue):
            queueing.leave(session, call.call_sid, effect.reason, now)
        elif isinstance(effect, DiscardTake):
            recordings.discard_take(session, call.call_sid, effect.mailbox, effect.take)
            added.append({"at": at, "kind": "discard_take", "mailbox": effect.mailbox,
                          "take": effect.take})
    return [*call.events, *added]


def _book_callback(session: Session, call: CallFacts, booking: BookCallback, now: dt.datetime,
                   settings: Settings) -> dict:
    """A callback request becomes a ticket on the caller's record, like any other contact."""
    contact = Contact(
        channel="voice", phone=call.caller_phone or booking.number,
        subject=f"Callback request ({booking.queue})",
        text=f"Caller asked to be called back at {booking.number}.",
        external_id=f"callback:{call.call_sid}",
        metadata={"CallSid": call.call_sid, "kind": "callback", "queue": booking.queue,
                  "callback_number": booking.number},
        at=now)
    result = record_contact(session, contact, region=settings.default_region,
                            window_days=settings.crm.thread_window_days)
    return {"kind": "callback_booked", "queue": booking.queue, "number": booking.number,
            "ticket_id": result.ticket_id, "customer_id": result.customer_id}


def live_events(call: CallFacts, turn: Turn) -> list[Event]:
    """What dashboards and the distributor hear about this turn."""
    return [CallQueued(call.call_sid, effect.queue, turn.state.caller)
            for effect in turn.effects if isinstance(effect, JoinQueue)]


def finish_call(call: Call, report: StatusReport, now: dt.datetime) -> None:
    """Apply a status report once; later duplicates and stale statuses change nothing."""
    status = report.status
    if call.ended_at is not None or not status:
        return
    call.status = status
    call.events = [*(call.events or []), {"at": now.isoformat(), "kind": "status",
                                          "status": status}]
    if status not in FINAL_STATUSES:
        return
    call.ended_at = now
    call.duration = report.duration
    if call.outcome in (None, "queued"):
        call.outcome = _abandoned(call)


def _abandoned(call: Call) -> str:
    """Where a caller who hung up was: still in the queue, or still in the IVR menus."""
    state = call.state or {}
    if state.get("ended"):
        return "ivr"  # the flow finished (self-service) before the line closed
    if call.queued_at and not call.answered_at:
        return "abandoned_queue"
    return "abandoned_ivr" if state else "missed"
