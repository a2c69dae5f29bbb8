"""Calls agents place from the desk: who may call, which number, from which of ours, and the
row that follows the call until its wrap-up.

`plan()` decides everything without writing (the desk asks it first, to explain a refusal in
the agent's language); `start()` writes the call when the agent's browser leg arrives at
/twilio/client.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import agent_states
from core.accounts import User
from crm_link.customers import lookup
from crm_link.models import Ticket
from crm_link.phones import parse_phone
from ivr.acd.config import QueueConfig
from ivr.errors import IvrError
from ivr.models import Call
from ivr.voice.models import AgentCall

CAN_DIAL = ("available", "wrap_up", "break", "offline")   # not while a call rings or runs


class CallRefused(IvrError):
    """An outbound call cannot be placed; `reason` names why for the agent's own language."""

    http_status = 409

    def __init__(self, reason: str, message: str, **values):
        super().__init__(message)
        self.reason, self.values = reason, values


@dataclass(frozen=True)
class Plan:
    """An outbound call that may be placed: to whom, from which number, filed where."""

    user_id: int
    number: str                 # E.164
    caller_id: str
    queue: str | None
    ticket_id: int | None
    customer_id: int | None
    language: str               # the customer's, for the recording notice
    record: bool


def plan(session: Session, user: User, to: str, config: QueueConfig, region: str, *,
         ticket_id: int | None = None, queue: str | None = None) -> Plan:
    """Check an agent's call to `to` (any format) and choose its caller ID and ticket."""
    if not user.active or not user.has_role("agent"):
        raise CallRefused("not_agent", f"{user.username} is not an active agent.")
    if user.presence not in CAN_DIAL:
        raise CallRefused("busy", f"{user.username} is {user.presence}; a call is already "
                                  "ringing or in progress.", state=user.presence)
    parsed = parse_phone(to, region)
    if not parsed.is_number:
        raise CallRefused("bad_number", f"{to!r} is not a phone number ({parsed.rule}).",
                          number=to)
    ticket = session.get(Ticket, ticket_id) if ticket_id is not None else None
    if ticket_id is not None and ticket is None:
        raise CallRefused("no_ticket", f"There is no ticket #{ticket_id}.", ticket=ticket_id)
    queue = _queue(queue, ticket, user, config)
    caller_id = config.caller_id_for(queue)
    if caller_id is None:
        raise CallRefused("no_caller_id", f"No caller ID is configured for queue {queue!r}: "
                                          "set caller_id in queues.yaml.", queue=queue or "-")
    customer_id = ticket.customer_id if ticket else _customer(session, parsed.value, region)
    rules = config.queue(queue) if queue else None
    return Plan(user.id, parsed.value, caller_id, queue, ticket.id if ticket else None,
                customer_id, _language(session, customer_id),
                rules.record_outbound if rules else True)


def callback_plan(session: Session, user: User, number: str, caller_id: str | None,
                  queue: str, ticket_id: int | None, config: QueueConfig, region: str) -> Plan:
    """A call-back the distributor gave this agent: the customer is dialed from the desk's
    path (recorded, on the call-back's ticket), the agent already on the call."""
    ticket = session.get(Ticket, ticket_id) if ticket_id is not None else None
    customer_id = ticket.customer_id if ticket else _customer(session, number, region)
    caller_id = caller_id or config.caller_id_for(queue)
    if caller_id is None:
        raise CallRefused("no_caller_id", f"No caller ID is configured for queue {queue!r}: "
                                          "set caller_id in queues.yaml.", queue=queue)
    return Plan(user.id, number, caller_id, queue, ticket_id, customer_id,
                _language(session, customer_id), config.queue(queue).record_outbound)


def start(session: Session, plan: Plan, agent_leg: str, now: dt.datetime, *,
          callback_offer: int | None = None) -> AgentCall:
    """The agent's leg is there: the call is placed from here on (the agent on a call; a
    call-back's agent is on it already, by the distributor)."""
    if callback_offer is None and not agent_states.move(session, plan.user_id, CAN_DIAL,
                                                        "on_call", now):
        raise CallRefused("busy", "The agent took another call a moment ago.", state="on_call")
    call = AgentCall(direction="outbound", user_id=plan.user_id, room="", number=plan.number,
                     caller_id=plan.caller_id, queue=plan.queue, ticket_id=plan.ticket_id,
                     customer_id=plan.customer_id, language=plan.language, record=plan.record,
                     agent_call_sid=agent_leg, status="dialing", started_at=now, events=[],
                     callback_offer=callback_offer)
    session.add(call)
    session.flush()
    call.room = f"desk-{call.id}"
    return call


def _queue(asked: str | None, ticket: Ticket | None, user: User,
           config: QueueConfig) -> str | None:
    for candidate in (asked, ticket.team if ticket else None, config.outbound_queue,
                      *(user.queues or ())):
        if candidate and (candidate in config.queues or candidate in (user.queues or ())):
            return candidate
    return None


def _customer(session: Session, number: str, region: str) -> int | None:
    match = lookup(session, phone=number, region=region)
    return match.customer.id if match else None


def _language(session: Session, customer_id: int | None) -> str:
    """The language of the customer's latest call with us; Japanese when we know none."""
    if customer_id is None:
        return "ja-JP"
    state = session.scalar(select(Call.state).where(Call.customer_id == customer_id,
                                                    Call.direction == "inbound")
                           .order_by(Call.started_at.desc()).limit(1))
    return (state or {}).get("language") or "ja-JP"
