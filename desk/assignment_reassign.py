"""Moving a ticket by hand: supervisors give any ticket to anyone, agents take unassigned ones.

Every move leaves an internal note on the ticket's timeline saying who moved it from whom to
whom, so the history survives later moves. Manual moves ignore the round-robin caps: a person
chose, the caps only steer the automatic assignment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session

from core.accounts import User, get_user
from core.db import utcnow
from crm_link.models import Interaction, Ticket
from desk.assignment import lock_assignments, note_change
from desk.errors import DeskError


class AssignmentError(DeskError):
    """A manual assignment cannot be made as asked."""


class NotAllowed(AssignmentError):
    """The acting user's role does not allow this move."""


class TicketNotFound(AssignmentError):
    """No ticket has the given id."""


class AlreadyTaken(AssignmentError):
    """Someone else assigned the ticket a moment earlier."""


@dataclass(frozen=True)
class Move:
    ticket_id: int
    previous: str | None
    assignee: str | None
    note_id: int | None

    def to_dict(self) -> dict:
        return {"ticket_id": self.ticket_id, "previous": self.previous,
                "assignee": self.assignee, "note_id": self.note_id}


def reassign(session: Session, ticket_id: int, username: str, actor: User,
             now: dt.datetime | None = None) -> Move:
    """Give ticket `ticket_id` to `username` on behalf of `actor`, with an internal note.

    Supervisors and admins may move any ticket to any active user. Agents may only take an
    unassigned ticket for themselves.
    """
    now = now or utcnow()
    lock_assignments(session)
    ticket = session.get(Ticket, ticket_id, populate_existing=True)
    if ticket is None:
        raise TicketNotFound(f"There is no ticket #{ticket_id}.")
    target = get_user(session, username)
    if not target.active:
        raise AssignmentError(f"User {target.username!r} is disabled and cannot take tickets.")
    previous = session.get(User, ticket.assignee_id) if ticket.assignee_id else None
    _check_allowed(actor, target, ticket, previous)
    if previous is not None and previous.id == target.id:
        return Move(ticket.id, target.username, target.username, None)
    query = update(Ticket).where(Ticket.id == ticket.id)
    query = (query.where(Ticket.assignee_id == previous.id) if previous is not None
             else query.where(Ticket.assignee_id.is_(None)))
    moved = session.execute(query.values(assignee_id=target.id, assigned_at=now)
                            .execution_options(synchronize_session="fetch")).rowcount
    if not moved:
        raise AlreadyTaken(f"Ticket #{ticket.id} was assigned by someone else a moment ago; "
                           "reload it and try again.")
    note = Interaction(ticket_id=ticket.id, customer_id=ticket.customer_id,
                       channel=ticket.channel, direction="internal", author=actor.username,
                       text=_sentence(actor, target, previous), at=now,
                       attachments=[], external_id=None,
                       meta={"kind": "assignment", "from": previous.username if previous
                             else None, "to": target.username, "by": actor.username},
                       thread_reason="internal note: assignment changed")
    session.add(note)
    session.flush()
    note_change(session, ticket.id, target.username, ticket.team, "reassigned", actor.username)
    return Move(ticket.id, previous.username if previous else None, target.username, note.id)


def release(session: Session, ticket_id: int, actor: User,
            now: dt.datetime | None = None) -> Move | None:
    """Put a ticket back in the unassigned folder: its owner or a supervisor may, with a note."""
    now = now or utcnow()
    lock_assignments(session)
    ticket = session.get(Ticket, ticket_id, populate_existing=True)
    if ticket is None:
        raise TicketNotFound(f"There is no ticket #{ticket_id}.")
    if ticket.assignee_id is None:
        return None
    previous = session.get(User, ticket.assignee_id)
    if not actor.has_role("supervisor") and ticket.assignee_id != actor.id:
        raise NotAllowed(f"Ticket #{ticket.id} belongs to {previous.username!r}; only they or a "
                         "supervisor can put it back.")
    ticket.assignee_id, ticket.assigned_at = None, None
    note = Interaction(ticket_id=ticket.id, customer_id=ticket.customer_id,
                       channel=ticket.channel, direction="internal", author=actor.username,
                       text=f"{actor.username} put this ticket back in the unassigned folder "
                            f"(it was {previous.username}'s).", at=now,
                       attachments=[], external_id=None,
                       meta={"kind": "assignment", "from": previous.username, "to": None,
                             "by": actor.username},
                       thread_reason="internal note: assignment changed")
    session.add(note)
    session.flush()
    note_change(session, ticket.id, None, ticket.team, "released", actor.username)
    return Move(ticket.id, previous.username, None, note.id)


def _check_allowed(actor: User, target: User, ticket: Ticket, previous: User | None) -> None:
    if actor.has_role("supervisor"):
        return
    if target.id != actor.id:
        raise NotAllowed(f"Agents may only take tickets for themselves; {actor.username!r} "
                         f"cannot give ticket #{ticket.id} to {target.username!r}.")
    if previous is not None and previous.id != actor.id:
        raise NotAllowed(f"Ticket #{ticket.id} belongs to {previous.username!r}; only a "
                         "supervisor can move it.")


def _sentence(actor: User, target: User, previous: User | None) -> str:
    if previous is None and actor.id == target.id:
        return f"{actor.username} took this ticket."
    source = f"from {previous.username} " if previous is not None else ""
    return f"{actor.username} assigned this ticket {source}to {target.username}."
