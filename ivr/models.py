"""Tables of the telephony core: calls with their resumable state and history, flow revisions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JSONType, UTCDateTime, utcnow
from crm_link.references import register_customer_reference


class Call(Base):
    """One phone call: who, which flow revision, where it stands, and how it ended."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(128))   # as Twilio sent it
    to_number: Mapped[str] = mapped_column(String(128))
    caller_phone: Mapped[str | None] = mapped_column(String(32), index=True)  # E.164 if any
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    flow_name: Mapped[str] = mapped_column(String(64))
    flow_revision: Mapped[str] = mapped_column(String(32))
    state: Mapped[dict] = mapped_column(JSONType)
    turn: Mapped[int] = mapped_column(Integer, default=0)   # the answer we wait for
    last_twiml: Mapped[str] = mapped_column(Text, default="")  # replayed to duplicate requests
    status: Mapped[str] = mapped_column(String(24), default="in-progress")
    outcome: Mapped[str | None] = mapped_column(String(24))
    queue: Mapped[str | None] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(16), default="inbound")  # outbound: from a desk
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))  # outbound: for this
    agent: Mapped[str | None] = mapped_column(String(64))   # who answered, when an agent did
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    queued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    duration: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # What happened, in order: {"at", "kind", ...} for steps, choices, transfers, statuses.
    # Kept on the row and written with the state, so history and state never disagree.
    events: Mapped[list] = mapped_column(JSONType, default=list)

    def events_of(self, kind: str) -> list[dict]:
        return [e for e in self.events or [] if e.get("kind") == kind]


class FlowRevision(Base):
    """Every flow file content that went live, so calls finish on the revision they began."""

    __tablename__ = "flow_revisions"
    __table_args__ = (UniqueConstraint("name", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    revision: Mapped[str] = mapped_column(String(32))
    path: Mapped[str] = mapped_column(String(512))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(128))


register_customer_reference("calls", Call.__table__.c.customer_id)
