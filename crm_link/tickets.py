"""Reading and editing tickets: open tickets, filtered listings, status changes, the timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from core.accounts import User
from core.db import utcnow
from core.events import emit
from crm_link.directory import TicketView, TimelineEntry, TimelinePage
from crm_link.errors import InvalidInput, NotFound
from crm_link.events import TicketUpdated
from crm_link.models import OPEN_STATUSES, PRIORITIES, STATUSES, Customer, Interaction, Ticket

MAX_PAGE = 500
UNASSIGNED = "none"
KEEP: Any = object()  # update_ticket: leave the assignee as it is


@dataclass(frozen=True)
class TicketFilter:
    """Filters of GET /api/tickets; since/until bound `created_at` (until exclusive)."""

    statuses: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    assignee: int | str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def apply(self, query: Select) -> Select:
        if self.statuses:
            query = query.where(Ticket.status.in_(self.statuses))
        if self.channels:
            query = query.where(Ticket.channel.in_(self.channels))
        if self.assignee == UNASSIGNED:
            query = query.where(Ticket.assignee_id.is_(None))
        elif self.assignee is not None:
            query = query.where(Ticket.assignee_id == self.assignee)
        if self.since is not None:
            query = query.where(Ticket.created_at >= self.since)
        if self.until is not None:
            query = query.where(Ticket.created_at < self.until)
        return query


def ticket_view(ticket: Ticket) -> TicketView:
    return TicketView(ticket.id, ticket.customer_id, ticket.subject, ticket.status,
                      ticket.priority, ticket.channel, ticket.assignee_id, ticket.created_at,
                      ticket.updated_at, ticket.first_response_at, ticket.solved_at)


def entry_of(row: Interaction) -> TimelineEntry:
    return TimelineEntry(row.id, row.ticket_id, row.channel, row.direction, row.at, row.author,
                         row.text, row.thread_reason, tuple(row.attachments or ()),
                         dict(row.meta or {}))


def open_tickets(session: Session, customer_id: int) -> list[TicketView]:
    """The customer's new/open/pending tickets, most recently active first."""
    rows = session.scalars(select(Ticket).where(
        Ticket.customer_id == customer_id, Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc()))
    return [ticket_view(t) for t in rows]


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"There is no ticket #{ticket_id}.", field="ticket_id")
    return ticket


def update_ticket(session: Session, ticket_id: int, *, status: str | None = None,
                  priority: str | None = None, assignee_id: int | None = KEEP,
                  subject: str | None = None) -> TicketView:
    """Agent edits; solving stamps `solved_at`, reopening clears it. assignee_id=None unassigns."""
    ticket = get_ticket(session, ticket_id)
    before = (ticket.status, ticket.assignee_id)
    if status is not None:
        _one_of(status, STATUSES, "status")
        if status in ("solved", "closed") and ticket.solved_at is None:
            ticket.solved_at = utcnow()
        elif status in OPEN_STATUSES:
            ticket.solved_at = None
        ticket.status = status
    if priority is not None:
        ticket.priority = _one_of(priority, PRIORITIES, "priority")
    if assignee_id is not KEEP:
        if assignee_id is not None and session.get(User, assignee_id) is None:
            raise InvalidInput(f"There is no agent #{assignee_id} to assign the ticket to.",
                               field="assignee_id")
        ticket.assignee_id = assignee_id
    if subject is not None:
        ticket.subject = subject[:300]
    ticket.updated_at = utcnow()
    session.flush()
    if (ticket.status, ticket.assignee_id) != before:
        emit(session, TicketUpdated(ticket.id, ticket.status, before[0], ticket.assignee_id,
                                    before[1]))
    return ticket_view(ticket)


def add_system_note(session: Session, ticket_id: int, text: str, now: dt.datetime,
                    author: str, meta: dict | None = None) -> Interaction:
    """A note the system writes on a ticket (e.g. how a call-back went): internal, never sent."""
    ticket = get_ticket(session, ticket_id)
    row = Interaction(ticket_id=ticket.id, customer_id=ticket.customer_id, channel="voice",
                      direction="internal", author=author, text=text[:2000], at=now,
                      attachments=[], meta=meta or {}, thread_reason="system note")
    session.add(row)
    ticket.updated_at = max(ticket.updated_at, now)
    session.flush()
    return row


def list_tickets(session: Session, filters: TicketFilter, *, limit: int = 50,
                 before: int | None = None) -> tuple[list[TicketView], int | None]:
    """One page, newest id first; the second value is the `before` of the next page."""
    limit = max(1, min(limit, MAX_PAGE))
    query = filters.apply(select(Ticket)).order_by(Ticket.id.desc()).limit(limit + 1)
    if before is not None:
        query = query.where(Ticket.id < before)
    rows = list(session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return [ticket_view(t) for t in rows], (rows[-1].id if more else None)


def iter_tickets(session: Session, filters: TicketFilter,
                 batch: int = 1000) -> Iterator[tuple[TicketView, str | None]]:
    """Every matching ticket with its customer's name, in id order, fetched in keyset batches."""
    after = 0
    while True:
        query = filters.apply(select(Ticket, Customer.name).join(
            Customer, Customer.id == Ticket.customer_id)).where(Ticket.id > after)
        rows = session.execute(query.order_by(Ticket.id).limit(batch)).all()
        for ticket, name in rows:
            yield ticket_view(ticket), name
        if len(rows) < batch:
            return
        after = rows[-1][0].id


def timeline(session: Session, customer_id: int, limit: int = 50,
             before: int | None = None) -> TimelinePage:
    """Every interaction of the customer across tickets and channels, newest first."""
    if session.get(Customer, customer_id) is None:
        raise NotFound(f"There is no customer #{customer_id}.", field="customer_id")
    limit = max(1, min(limit, MAX_PAGE))
    query = select(Interaction).where(Interaction.customer_id == customer_id)
    if before is not None:
        cursor = session.get(Interaction, before)
        if cursor is None or cursor.customer_id != customer_id:
            raise InvalidInput(f"before={before} is not an interaction of customer "
                               f"#{customer_id}.", field="before")
        query = query.where(or_(Interaction.at < cursor.at,
                                and_(Interaction.at == cursor.at, Interaction.id < cursor.id)))
    rows = list(session.scalars(
        query.order_by(Interaction.at.desc(), Interaction.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return TimelinePage(tuple(entry_of(r) for r in rows), rows[-1].id if more else None)


def _one_of(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise InvalidInput(f"{value!r} is not a {name} ({', '.join(allowed)}).", field=name)
    return value
