"""What a call turn leaves behind: call events, outcome fields, callback tickets, discarded takes."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Mapping, Sequence

from sqlalchemy.orm import Session

from crm_link.contacts import record_contact
from crm_link.directory import Contact
from ivr.flows.actions import BookCallback, DiscardTake, Effect, Note
from ivr.models import Call, CallEvent
from ivr.settings import Settings

log = logging.getLogger("ivr.calls")

FINAL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}
ANSWERED = {"completed", "answered", "bridged"}


def apply_effects(session: Session, call: Call, effects: Sequence[Effect], now: dt.datetime,
                  settings: Settings, params: Mapping[str, str]) -> None:
    for effect in effects:
        if isinstance(effect, Note):
            _note(session, call, effect, now)
        elif isinstance(effect, BookCallback):
            _book_callback(session, call, effect, now, settings)
        elif isinstance(effect, DiscardTake):
            session.add(CallEvent(call_id=call.id, at=now, kind="discard_take",
                                  data={"mailbox": effect.mailbox, "take": effect.take}))


def _note(session: Session, call: Call, note: Note, now: dt.datetime) -> None:
    session.add(CallEvent(call_id=call.id, at=now, kind=note.kind, data=dict(note.data)))
    data = note.data
    if note.kind == "connect":
        call.outcome = "transferred" if data["kind"] != "queue" else "queued"
        if data["kind"] == "queue":
            call.queue = data["target"]
            call.queued_at = call.queued_at or now
    elif note.kind in ("dial_result", "queue_result"):
        result = data.get("status") or data.get("result")
        if result in ANSWERED:
            call.answered_at = call.answered_at or now
            call.outcome = "agent" if call.queue else "transferred"
    elif note.kind == "voicemail":
        call.outcome = "voicemail"


def _book_callback(session: Session, call: Call, booking: BookCallback, now: dt.datetime,
                   settings: Settings) -> None:
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
                            window_days=settings.thread_window_days)
    call.outcome = "callback"
    call.customer_id = call.customer_id or result.customer_id
    session.add(CallEvent(call_id=call.id, at=now, kind="callback_booked",
                          data={"queue": booking.queue, "number": booking.number,
                                "ticket_id": result.ticket_id}))


def finish_call(call: Call, params: Mapping[str, str], now: dt.datetime) -> None:
    """Apply a status callback once; later duplicates and stale statuses change nothing."""
    status = params.get("CallStatus", "")
    if call.ended_at is not None or not status:
        return
    call.status = status
    call.events.append(CallEvent(at=now, kind="status", data={"status": status}))
    if status not in FINAL_STATUSES:
        return
    call.ended_at = now
    try:
        call.duration = int(params.get("CallDuration", ""))
    except ValueError:
        call.duration = None
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
