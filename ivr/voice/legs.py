"""A desk call's legs as the carrier reports them: the customer dialed, answering or not,
the conference starting and emptying. Each function runs in the caller's ORM session and is
safe against duplicate and out-of-order reports."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import User
from crm_link.contacts import record_contact, update_interaction
from crm_link.directory import Contact
from ivr.models import Call
from ivr.voice.models import AgentCall
from ivr.voice.outbound import Plan

FINAL = ("completed", "busy", "no-answer", "failed", "canceled")


def file_on_timeline(session: Session, call: AgentCall, plan: Plan, agent: User,
                     region: str, window_days: int) -> None:
    """The call goes on the customer's record as it is placed (a new number: a new customer)."""
    result = record_contact(session, Contact(
        channel="voice", direction="outbound", phone=plan.number, ticket_id=plan.ticket_id,
        author=agent.display_name, subject=f"Call to {plan.number}", text="",
        external_id=f"agent-call:{call.id}", at=call.started_at,
        metadata={"agent_call": call.id, "agent": agent.username, "number": plan.number,
                  "caller_id": plan.caller_id, "status": "dialing"}), region=region,
        window_days=window_days)
    call.ticket_id, call.customer_id = result.ticket_id, result.customer_id
    call.interaction_id = result.interaction_id


def customer_dialed(session: Session, call_id: int, leg: str, username: str,
                    now: dt.datetime) -> None:
    """The customer's phone rings: their leg is a call of ours, outbound, on the ticket."""
    call = session.get(AgentCall, call_id, with_for_update=True)
    call.customer_call_sid = leg        # (the answer may have told us first)
    answered = call.connected_at
    session.add(Call(call_sid=leg, from_number=call.caller_id or "", to_number=call.number or "",
                     caller_phone=call.number, customer_id=call.customer_id, flow_name="",
                     flow_revision="", state={"language": call.language}, turn=0,
                     status="in-progress" if answered else "ringing", direction="outbound",
                     ticket_id=call.ticket_id, queue=call.queue, agent=username,
                     started_at=now, answered_at=answered,
                     outcome="answered" if answered else None, events=[]))


def inbound_connected(session: Session, user_id: int, room: str, agent_leg: str,
                      customer_leg: str, queue: str | None, recording_sid: str | None,
                      now: dt.datetime) -> AgentCall:
    """An agent answered a queued caller: the desk controls this call from now (once per room)."""
    call = session.scalar(select(AgentCall).where(AgentCall.room == room,
                                                  AgentCall.agent_call_sid == agent_leg))
    if call is not None:
        return call
    row = _call_row(session, customer_leg)
    before = session.scalar(select(AgentCall).where(AgentCall.room == room)
                            .order_by(AgentCall.id.desc()).limit(1))   # a queue transfer's
    call = AgentCall(direction="inbound", user_id=user_id, room=room, agent_call_sid=agent_leg,
                     customer_call_sid=customer_leg, number=row.caller_phone if row else None,
                     caller_id=row.to_number if row else None, queue=queue,
                     customer_id=row.customer_id if row else None,
                     language=((row.state or {}).get("language") if row else None) or "ja-JP",
                     record=recording_sid is not None, recording_sid=recording_sid,
                     status="connected", started_at=now, connected_at=now,
                     events=[{"at": now.isoformat(), "kind": "recording_started"}]
                     if recording_sid else [])
    if before is not None:          # the customer is in the room already, on hold
        call.conference_sid, call.customer_joined = before.conference_sid, True
        call.ticket_id, call.customer_id = before.ticket_id, before.customer_id
        call.number, call.transferred_from = before.number, before.id
        call.recording_sid, call.record = before.recording_sid, before.record
    session.add(call)
    session.flush()
    return call


def customer_answered(session: Session, call_id: int, leg: str,
                      now: dt.datetime) -> AgentCall | None:
    """The customer picked up: the call is connected (None: not this call's leg, or over)."""
    call = session.get(AgentCall, call_id, with_for_update=True)
    if call is None or call.customer_call_sid not in (None, leg) or call.status == "ended":
        return None
    call.customer_call_sid = leg        # our REST request's answer may still be on its way
    if call.status == "dialing":
        call.status, call.connected_at = "connected", now
        row = _call_row(session, leg)
        if row is not None:
            row.answered_at, row.status, row.outcome = now, "in-progress", "answered"
    return call


def customer_status(session: Session, call_id: int, leg: str, status: str, duration: int,
                    now: dt.datetime) -> AgentCall | None:
    """The customer's leg reported: at its end, the desk call ends (the call returned if it
    must still hang up the agent's leg)."""
    call = session.get(AgentCall, call_id)
    row = _call_row(session, leg)
    if row is not None and status in FINAL and row.ended_at is None:
        row.status, row.ended_at, row.duration = status, now, duration
        if row.outcome is None:
            row.outcome = status        # no-answer, busy, failed, canceled
    if call is None or status not in FINAL:
        return None
    if call.status == "ended":          # the room ended first: the carrier's duration counts
        if call.interaction_id and call.connected_at:
            update_interaction(session, call.interaction_id, metadata={"duration": duration})
        return None
    return end(session, call, "completed" if call.connected_at else status, now, duration)


def conference_event(session: Session, room: str, event: str, conference_sid: str,
                     leg: str, now: dt.datetime) -> list[AgentCall]:
    """The room started (its id is what hold needs), an agent left it, or it ended: the calls
    of the agents who are gone are over."""
    calls = session.scalars(select(AgentCall).where(AgentCall.room == room,
                                                    AgentCall.status != "ended")).all()
    for call in calls:
        if conference_sid and call.conference_sid is None:
            call.conference_sid = conference_sid
        if leg and leg == call.customer_call_sid and event in ("participant-join",
                                                              "participant-leave"):
            call.customer_joined = event == "participant-join"   # hold needs them there
    gone = [c for c in calls if event == "conference-end"
            or (event == "participant-leave" and leg == c.agent_call_sid)]
    return [end(session, c, "completed" if c.connected_at else "canceled", now) for c in gone]


def end(session: Session, call: AgentCall, reason: str, now: dt.datetime,
        duration: int | None = None) -> AgentCall:
    """Over: the timeline says how, and how long (the carrier's count when it gave one; the
    service starts the agent's wrap-up)."""
    call.status, call.ended_reason, call.ended_at = "ended", reason, now
    seconds = duration if duration is not None else \
        int((now - call.connected_at).total_seconds()) if call.connected_at else 0
    if call.interaction_id:
        update_interaction(session, call.interaction_id,
                           metadata={"status": reason, "duration": seconds})
    return call


def _call_row(session: Session, leg: str) -> Call | None:
    return session.scalar(select(Call).where(Call.call_sid == leg))
