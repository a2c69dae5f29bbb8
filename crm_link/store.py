"""The embedded CustomerDirectory: our own tables through one SQLAlchemy session."""

from __future__ import annotations

from sqlalchemy.orm import Session

from crm_link import contacts, customers, tickets
from crm_link.directory import (
    CallerProfile,
    Contact,
    ContactResult,
    Match,
    TicketView,
    TimelineEntry,
    TimelinePage,
)


class SqlDirectory:
    """CustomerDirectory over a session the caller owns (and commits)."""

    def __init__(self, session: Session):
        self.session = session

    def lookup(self, *, phone: str | None = None, email: str | None = None,
               member_id: str | None = None, region: str = "JP") -> Match | None:
        return customers.lookup(self.session, phone=phone, email=email, member_id=member_id,
                                region=region)

    def caller_profile(self, raw_from: str, region: str) -> CallerProfile:
        return customers.caller_profile(self.session, raw_from, region)

    def record_contact(self, contact: Contact, *, region: str,
                       window_days: int) -> ContactResult:
        return contacts.record_contact(self.session, contact, region=region,
                                       window_days=window_days)

    def update_interaction(self, interaction_id: int, *, text: str | None = None,
                           metadata: dict | None = None,
                           attachments: list[dict] | None = None) -> TimelineEntry:
        return contacts.update_interaction(self.session, interaction_id, text=text,
                                           metadata=metadata, attachments=attachments)

    def timeline(self, customer_id: int, limit: int = 50,
                 before: int | None = None) -> TimelinePage:
        return tickets.timeline(self.session, customer_id, limit, before)

    def open_tickets(self, customer_id: int) -> list[TicketView]:
        return tickets.open_tickets(self.session, customer_id)
