"""What the desk announces: assignments, work on tickets, who is viewing or replying.

All live: every open page of a ticket refreshes on `ticket.changed` and shows the collision
warnings of `ticket.viewing` / `ticket.replying`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True)
class TicketAssignmentChanged(Event):
    """A ticket was assigned, reassigned or put back (assignee None) by the rules or a person."""

    kind = "ticket.changed"
    live = True
    ticket_id: int
    change: str                 # assigned | reassigned | released
    assignee: str | None
    team: str | None
    by: str | None = None

    def data(self) -> dict:
        data = {"ticket_id": self.ticket_id, "change": self.change, "assignee": self.assignee,
                "team": self.team}
        return {**data, "by": self.by} if self.by else data


@dataclass(frozen=True)
class TicketWorked(Event):
    """An agent replied to, noted or updated a ticket."""

    kind = "ticket.changed"
    live = True
    ticket_id: int
    what: str                   # replied | noted | updated
    by: str


@dataclass(frozen=True)
class TicketViewing(Event):
    kind = "ticket.viewing"
    live = True
    ticket_id: int
    viewing: Sequence[str]


@dataclass(frozen=True)
class TicketReplying(Event):
    kind = "ticket.replying"
    live = True
    ticket_id: int
    replying: Sequence[str]
