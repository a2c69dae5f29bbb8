"""Screen-pops: which live call events pop which agent's screen, and what the pop shows. No Flask.

A pop is built from the database by CallSid when the event reaches the agent's stream, so the
telephony webhooks stay as fast as they are and every pop shows the freshest customer record.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from crm_link.customers import attach_identities, check_owners, create_customer, get_customer
from crm_link.directory import TicketView
from crm_link.errors import InvalidInput
from crm_link.identities import phone_key
from crm_link.tickets import open_tickets, timeline
from desk.timeline import Entry, with_audio
from ivr.calls.lifecycle import find as find_call
from ivr.calls.lifecycle import link_customer
from ivr.models import Call

POP_KINDS = ("call.offered", "call.answered")
HISTORY = 20  # timeline entries shown in a pop; the customer page has the rest


def pop_stage(event: dict, username: str) -> str | None:
    """'offered' or 'answered' when this event pops `username`'s screen; None for anyone else."""
    kind = event.get("kind")
    if kind == "call.offered" and username in (event.get("agents") or ()):
        return "offered"
    if kind == "call.answered" and event.get("agent") == username:
        return "answered"
    return None


@dataclass(frozen=True)
class Pop:
    """Who is calling and their history across channels."""

    call_sid: str
    stage: str
    phone: str | None
    raw_from: str
    queue: str | None
    customer_id: int | None
    name: str | None
    emails: tuple[str, ...]
    matched_by: dict | None
    tickets: tuple[TicketView, ...]
    entries: tuple[Entry, ...]

    @property
    def known(self) -> bool:
        return self.customer_id is not None


def build_pop(session: Session, call_sid: str, stage: str) -> Pop | None:
    """The pop for one call, or None when the call is unknown."""
    call = find_call(session, call_sid)
    if call is None:
        return None
    caller = (call.state or {}).get("caller") or {}
    base = dict(call_sid=call_sid, stage=stage, phone=call.caller_phone,
                raw_from=call.from_number, queue=call.queue)
    if call.customer_id is None:
        return Pop(**base, customer_id=None, name=None, emails=(), matched_by=None,
                   tickets=(), entries=())
    customer = get_customer(session, call.customer_id)
    matched = caller.get("matched_by") if caller.get("customer_id") == customer.id else None
    entries = timeline(session, customer.id, limit=HISTORY).entries
    return Pop(**base, customer_id=customer.id, name=customer.name,
               emails=tuple(i.value for i in customer.identities if i.kind == "email"),
               matched_by=matched or {"kind": "linked", "value": call.caller_phone},
               tickets=tuple(open_tickets(session, customer.id)),
               entries=tuple(with_audio(session, entries)))


def may_act(session: Session, call_sid: str, user) -> bool:
    """Pop actions are for the answering agent, agents of the call's queue, and supervisors."""
    call = find_call(session, call_sid)
    if call is None:
        return False
    return (user.has_role("supervisor") or call.agent == user.username
            or (call.queue is not None and call.queue in (user.queues or ())))


def new_customer_for_call(session: Session, call_sid: str, name: str, region: str) -> int:
    """Create a customer owning the caller's number and tie the call to it."""
    call = _call_with_phone(session, call_sid)
    if not name.strip():
        raise InvalidInput("Give the new customer's name (it was empty).", field="name")
    customer = create_customer(session, name=name.strip()[:200], phones=[call.caller_phone],
                               region=region, source="desk")
    link_customer(session, call_sid, customer.id)
    return customer.id


def link_call_to(session: Session, call_sid: str, customer_id: int, region: str) -> int:
    """Add the caller's number to an existing customer and tie the call to it."""
    call = _call_with_phone(session, call_sid)
    customer = get_customer(session, customer_id)
    key = phone_key(call.caller_phone, region)
    check_owners(session, [("phone", key)], allowed=customer.id)
    if key.value not in {i.value for i in customer.identities if i.kind == "phone"}:
        attach_identities(session, customer, [("phone", key)], source="desk")
    link_customer(session, call_sid, customer.id)
    return customer.id


def _call_with_phone(session: Session, call_sid: str) -> Call:
    call = find_call(session, call_sid)
    if call is None:
        raise InvalidInput(f"There is no call {call_sid!r}.", field="call_sid")
    if not call.caller_phone:
        raise InvalidInput(f"Call {call_sid} has no usable caller number ({call.from_number!r}), "
                           "so it cannot be saved on a customer.", field="call_sid")
    return call
