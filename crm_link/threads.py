"""The threading rule: which ticket a new contact joins, and the sentence saying why."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.events import emit
from crm_link.directory import Contact
from crm_link.events import TicketFiled, TicketUpdated
from crm_link.models import OPEN_STATUSES, Interaction, Ticket

LABELS = {"voice": "Call", "voicemail": "Voicemail", "email": "Email", "chat": "Chat",
          "sms": "SMS", "web": "Web message"}


def choose_ticket(session: Session, customer_id: int, contact: Contact, at: dt.datetime,
                  window_days: int,
                  replied: tuple[Interaction, str, str] | None) -> tuple[Ticket, bool, str]:
    """A reply joins its ticket; else the newest open ticket active within the window; else a new one."""
    if replied is not None:
        row, header, ident = replied
        ticket = session.get(Ticket, row.ticket_id)
        reason = f"{contact.channel} reply: {header} {ident}"
        if ticket.status != "closed":
            if ticket.status == "solved":
                ticket.status, ticket.solved_at = "open", None
                emit(session, TicketUpdated(ticket.id, "open", "solved", ticket.assignee_id,
                                            ticket.assignee_id))
                reason += f" (reopened solved ticket #{ticket.id})"
            return ticket, False, reason
        return _new(session, ticket.customer_id, contact, at,
                    f"new ticket: the replied-to ticket #{ticket.id} is closed ({header} {ident})")
    window = dt.timedelta(days=window_days)
    open_ticket = _newest_open(session, customer_id, at - window, at + window)
    if open_ticket is not None:
        via = "" if open_ticket.channel == contact.channel else f" (opened by {open_ticket.channel})"
        return open_ticket, False, (f"joined open ticket #{open_ticket.id}{via} updated "
                                    f"{ago(at - open_ticket.updated_at)}")
    reason = f"new ticket: no open ticket within {window_days} days"
    stale = _newest_open(session, customer_id)
    if stale is not None:
        reason += f" (open ticket #{stale.id} was last updated {ago(at - stale.updated_at)})"
    return _new(session, customer_id, contact, at, reason)


def touch_ticket(ticket: Ticket, direction: str, at: dt.datetime) -> None:
    """Activity moves `updated_at`; the first outbound reply is the first response."""
    ticket.updated_at = max(ticket.updated_at, at)
    if direction == "outbound" and ticket.first_response_at is None:
        ticket.first_response_at = at
    if direction == "inbound" and ticket.status == "pending":
        ticket.status = "open"


def subject_for(contact: Contact) -> str:
    """The contact's subject, else its first line of text, else 'Call from +8131...'."""
    if contact.subject and contact.subject.strip():
        return contact.subject.strip()[:300]
    first = (contact.text or "").strip().splitlines()[0:1]
    if first and first[0].strip():
        line = first[0].strip()
        return line if len(line) <= 80 else line[:79] + "…"
    who = contact.phone or contact.email or contact.member_id or "anonymous"
    return f"{LABELS[contact.channel]} from {who}"[:300]


def ago(delta: dt.timedelta) -> str:
    """'2 days ago', '3 hours ago', 'just now'; the biggest whole unit."""
    seconds = int(delta.total_seconds())
    if seconds < 0:
        return "after this contact"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def _newest_open(session: Session, customer_id: int, since: dt.datetime | None = None,
                 until: dt.datetime | None = None) -> Ticket | None:
    """The customer's most recently active open ticket, optionally with activity in [since, until]
    (a window on both sides, so a back-dated contact does not join a much later ticket)."""
    query = select(Ticket).where(Ticket.customer_id == customer_id,
                                 Ticket.status.in_(OPEN_STATUSES))
    if since is not None:
        query = query.where(Ticket.updated_at >= since, Ticket.updated_at <= until)
    return session.scalars(query.order_by(Ticket.updated_at.desc(), Ticket.id.desc())
                           .limit(1)).first()


def _new(session: Session, customer_id: int, contact: Contact, at: dt.datetime,
         reason: str) -> tuple[Ticket, bool, str]:
    ticket = Ticket(customer_id=customer_id, subject=subject_for(contact), status="new",
                    priority="normal", channel=contact.channel, created_at=at, updated_at=at)
    session.add(ticket)
    session.flush()
    emit(session, TicketFiled(ticket.id, customer_id, contact.channel))
    return ticket, True, reason
