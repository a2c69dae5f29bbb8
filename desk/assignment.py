"""Who gets a new ticket: the rules pick a team, round-robin picks the least loaded agent in it.

Eligible: active team members who are at work (available, ringing, on a call or in wrap-up:
agents on a call still collect tickets to work afterwards; on a break or offline they get none)
and who hold fewer open tickets than their `max_open_tickets`. The least loaded wins; ties go to whoever
was assigned longest ago (never first), then by username, which makes equal agents take turns.

Concurrency: on PostgreSQL every assignment first takes one transaction-scoped advisory lock,
so two processes assigning at once run one after the other and the second counts the first's
committed tickets (READ COMMITTED: each statement sees the latest commits). SQLite transactions
are already serialized by BEGIN IMMEDIATE. Tickets are claimed with `UPDATE ... WHERE assignee_id
IS NULL`, so a ticket is never given twice. Hold the lock briefly: commit right after.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from core.accounts import User
from core.agent_states import WORKING
from core.db import utcnow
from core.events import emit
from crm_link.models import OPEN_STATUSES, Interaction, Ticket
from desk.assignment_rules import Rules, TicketFacts
from desk.events import TicketAssignmentChanged
from ivr.calls.lifecycle import queue_of

log = logging.getLogger("desk.assignment")

TAKING_PRESENCES = WORKING  # signed in and at work: available, ringing, on a call, wrap-up
LOCK_KEY = 0x6465736B61736E  # "deskasn": the advisory lock serializing assignments
WAITING_BATCH = 200  # tickets looked at per sweep, oldest first


@dataclass(frozen=True)
class Assignment:
    """What happened to one ticket: assignee None means it waits for capacity (or has no team)."""

    ticket_id: int
    team: str | None
    assignee: str | None
    reason: str


def lock_assignments(session: Session) -> None:
    """Serialize assignment across processes until this transaction ends (PostgreSQL only)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def facts_of(session: Session, ticket: Ticket) -> TicketFacts:
    """Channel, queue, mailbox and text of a ticket, from its first interactions and their call."""
    rows = session.scalars(select(Interaction).where(Interaction.ticket_id == ticket.id,
                                                     Interaction.direction == "inbound")
                           .order_by(Interaction.id).limit(5)).all()
    meta = {k: v for row in reversed(rows) for k, v in (row.meta or {}).items()}
    queue, mailbox = meta.get("queue"), meta.get("mailbox")
    if queue is None and meta.get("CallSid"):
        queue = queue_of(session, meta["CallSid"])
    text_ = "\n".join([ticket.subject or "", *(row.text or "" for row in rows)])
    return TicketFacts(channel=ticket.channel, queue=_name(queue), mailbox=_name(mailbox),
                       text=text_)


def _name(value) -> str | None:
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def team_members(session: Session, rules: Rules, team: str) -> list[User]:
    """Active users of a team (usernames, queue:NAME and role:NAME entries), in id order."""
    members = rules.teams.get(team, ())
    users = session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)
                            .execution_options(populate_existing=True)).all()
    chosen = []
    for user in users:
        for member in members:
            if ((member.kind == "user" and user.username == member.value)
                    or (member.kind == "queue" and member.value in (user.queues or []))
                    or (member.kind == "role" and user.role == member.value)):
                chosen.append(user)
                break
    return chosen


def open_counts(session: Session, user_ids: list[int]) -> dict[int, int]:
    """Open tickets held by each user, counted now (after the lock, so other commits are seen)."""
    if not user_ids:
        return {}
    rows = session.execute(select(Ticket.assignee_id, func.count()).where(
        Ticket.assignee_id.in_(user_ids), Ticket.status.in_(OPEN_STATUSES))
        .group_by(Ticket.assignee_id)).all()
    counts = dict.fromkeys(user_ids, 0)
    counts.update({user_id: count for user_id, count in rows})
    return counts


def pick_agent(session: Session, rules: Rules, team: str) -> User | None:
    """The team member to give the next ticket to, or None when nobody may take one."""
    members = [u for u in team_members(session, rules, team) if u.presence in TAKING_PRESENCES]
    counts = open_counts(session, [u.id for u in members])
    ready = [u for u in members if counts[u.id] < u.max_open_tickets]
    if not ready:
        return None
    never = dt.datetime.min.replace(tzinfo=dt.UTC)
    return min(ready, key=lambda u: (counts[u.id], u.last_assigned_at or never, u.username))


def assign_ticket(session: Session, ticket_id: int, rules: Rules,
                  now: dt.datetime | None = None) -> Assignment:
    """Give an unassigned open ticket to its team's next agent, in the caller's transaction."""
    lock_assignments(session)
    session.flush()
    ticket = session.get(Ticket, ticket_id, populate_existing=True)
    if ticket is None or ticket.assignee_id is not None or ticket.status not in OPEN_STATUSES:
        return Assignment(ticket_id, ticket.team if ticket else None, None,
                          "not waiting: missing, already assigned or not open")
    reason = "team already chosen"
    if ticket.team is None or ticket.team not in rules.teams:
        ticket.team, reason = rules.team_for(facts_of(session, ticket))
    if ticket.team is None:
        return Assignment(ticket_id, None, None, reason)
    return _give(session, ticket, rules, reason, now or utcnow())


def _give(session: Session, ticket: Ticket, rules: Rules, reason: str,
          now: dt.datetime) -> Assignment:
    agent = pick_agent(session, rules, ticket.team)
    if agent is None:
        session.flush()
        return Assignment(ticket.id, ticket.team, None,
                          f"{reason}; nobody in team {ticket.team!r} has capacity")
    claimed = session.execute(
        update(Ticket).where(Ticket.id == ticket.id, Ticket.assignee_id.is_(None))
        .values(assignee_id=agent.id, assigned_at=now, team=ticket.team)
        .execution_options(synchronize_session="fetch")).rowcount
    if not claimed:
        return Assignment(ticket.id, ticket.team, None, "assigned meanwhile by someone else")
    agent.last_assigned_at = now
    session.flush()
    note_change(session, ticket.id, agent.username, ticket.team, "assigned")
    log.info("ticket assigned", extra={"ticket_id": ticket.id, "team": ticket.team,
                                       "assignee": agent.username, "reason": reason})
    return Assignment(ticket.id, ticket.team, agent.username, reason)


def assign_waiting(session: Session, rules: Rules, now: dt.datetime | None = None,
                   limit: int = WAITING_BATCH) -> list[Assignment]:
    """Assign open unassigned tickets, oldest first, while their teams have capacity."""
    lock_assignments(session)
    session.flush()
    waiting = session.scalars(select(Ticket).where(
        Ticket.assignee_id.is_(None), Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.created_at, Ticket.id).limit(limit)
        .execution_options(populate_existing=True)).all()
    now = now or utcnow()
    done, full = [], set()
    for ticket in waiting:
        if ticket.team is None or ticket.team not in rules.teams:
            ticket.team, _ = rules.team_for(facts_of(session, ticket))
        if ticket.team is None or ticket.team in full:
            continue
        result = _give(session, ticket, rules, "waiting ticket", now)
        if result.assignee is None:
            full.add(ticket.team)
        else:
            done.append(result)
    return done


def note_change(session: Session, ticket_id: int, assignee: str | None, team: str | None,
                change: str, actor: str | None = None) -> None:
    """Announce the move once the transaction commits (open pages of the ticket refresh)."""
    emit(session, TicketAssignmentChanged(ticket_id, change, assignee, team, actor))


def team_overview(session: Session, rules: Rules) -> dict[str, list[dict]]:
    """Each team's members with presence, open tickets and cap, as supervisors check the rules."""
    overview = {}
    for team in rules.teams:
        members = team_members(session, rules, team)
        counts = open_counts(session, [u.id for u in members])
        overview[team] = [{"username": u.username, "presence": u.presence,
                           "open_tickets": counts[u.id], "max_open_tickets": u.max_open_tickets,
                           "takes_tickets": u.presence in TAKING_PRESENCES
                           and counts[u.id] < u.max_open_tickets} for u in members]
    return overview
