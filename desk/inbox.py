"""The agent's inbox: folders of tickets and how long each customer has been waiting. No Flask.

Folders: `unassigned` (open work nobody owns), `mine` (new/open tickets assigned to me),
`pending` (mine, waiting on the customer), `solved` (mine, solved or closed). The wait is the
time since the customer's last inbound message, coloured green / amber / red by the
INBOX_AMBER_MINUTES and INBOX_RED_MINUTES settings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_link.models import CHANNELS, OPEN_STATUSES, Customer, Interaction, Ticket
from desk.errors import InvalidChoice

FOLDERS = ("unassigned", "mine", "pending", "solved")
PAGE = 100


@dataclass(frozen=True)
class Thresholds:
    """Minutes after which a waiting customer is amber, then red."""

    amber_minutes: int = 60
    red_minutes: int = 240

    def colour(self, waited: dt.timedelta | None) -> str:
        if waited is None:
            return "none"
        minutes = waited.total_seconds() / 60
        if minutes >= self.red_minutes:
            return "red"
        return "amber" if minutes >= self.amber_minutes else "green"


@dataclass(frozen=True)
class Row:
    """One ticket line of the inbox."""

    id: int
    subject: str
    status: str
    channel: str
    customer_id: int
    customer_name: str | None
    assignee_id: int | None
    last_inbound_at: dt.datetime | None
    waited: dt.timedelta | None
    colour: str


def folder_filter(folder: str, user_id: int):
    """The WHERE clauses of one folder for one agent."""
    mine = Ticket.assignee_id == user_id
    clauses = {
        "unassigned": (Ticket.assignee_id.is_(None), Ticket.status.in_(OPEN_STATUSES)),
        "mine": (mine, Ticket.status.in_(("new", "open"))),
        "pending": (mine, Ticket.status == "pending"),
        "solved": (mine, Ticket.status.in_(("solved", "closed"))),
    }
    if folder not in clauses:
        raise InvalidChoice(f"{folder!r} is not an inbox folder ({', '.join(FOLDERS)}).")
    return clauses[folder]


def list_folder(session: Session, folder: str, user_id: int, *, channel: str | None = None,
                now: dt.datetime, thresholds: Thresholds) -> list[Row]:
    """A folder's tickets, the longest-waiting customer first (never-written ones last)."""
    if channel and channel not in CHANNELS:
        raise InvalidChoice(f"{channel!r} is not a channel ({', '.join(CHANNELS)}).")
    last_in = (select(Interaction.ticket_id, func.max(Interaction.at).label("at"))
               .where(Interaction.direction == "inbound").group_by(Interaction.ticket_id)
               .subquery())
    query = (select(Ticket, Customer.name, last_in.c.at)
             .join(Customer, Customer.id == Ticket.customer_id)
             .outerjoin(last_in, last_in.c.ticket_id == Ticket.id)
             .where(*folder_filter(folder, user_id)))
    if channel:
        query = query.where(Ticket.channel == channel)
    query = query.order_by(last_in.c.at.is_(None), last_in.c.at, Ticket.id).limit(PAGE)
    rows = []
    for ticket, name, last_at in session.execute(query).all():
        waited = now - last_at if last_at is not None else None
        done = ticket.status in ("solved", "closed")
        rows.append(Row(ticket.id, ticket.subject, ticket.status, ticket.channel,
                        ticket.customer_id, name, ticket.assignee_id, last_at, waited,
                        "done" if done else thresholds.colour(waited)))
    return rows


def counts(session: Session, user_id: int) -> dict[str, int]:
    """How many tickets each folder holds, for the folder tabs."""
    return {folder: session.scalar(select(func.count(Ticket.id))
                                   .where(*folder_filter(folder, user_id))) or 0
            for folder in FOLDERS}


def waited_text(waited: dt.timedelta | None) -> str:
    """'3h 05m', '12m', '2d 4h'; '—' when the customer never wrote."""
    if waited is None:
        return "—"
    minutes = max(0, int(waited.total_seconds() // 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {mins:02d}m" if hours else f"{mins}m"
