"""What the customer record announces, after the transaction that did it commits.

Other features react without crm_link knowing them: the desk assigns a filed ticket, and
sweeps waiting tickets when one is solved or loses its assignee.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.events import Event
from crm_link.models import OPEN_STATUSES


@dataclass(frozen=True)
class TicketFiled(Event):
    """A contact opened a new ticket."""

    ticket_id: int
    customer_id: int
    channel: str


@dataclass(frozen=True)
class TicketUpdated(Event):
    """A ticket's status or assignee changed (previous values given)."""

    ticket_id: int
    status: str
    previous_status: str
    assignee_id: int | None
    previous_assignee_id: int | None

    @property
    def left_open(self) -> bool:
        return self.previous_status in OPEN_STATUSES and self.status not in OPEN_STATUSES

    @property
    def lost_assignee(self) -> bool:
        return (self.previous_assignee_id is not None
                and self.assignee_id != self.previous_assignee_id)
