"""Tables of the unified customer record: customers, identities, tickets, interactions, merges."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, JSONType, UTCDateTime, utcnow

STATUSES = ("new", "open", "pending", "solved", "closed")
OPEN_STATUSES = ("new", "open", "pending")
PRIORITIES = ("low", "normal", "high", "urgent")
CHANNELS = ("voice", "voicemail", "email", "chat", "sms", "web")
DIRECTIONS = ("inbound", "outbound", "internal")
IDENTITY_KINDS = ("phone", "email", "member_id")
FLAG_STATUSES = ("open", "resolved", "dismissed")


def _one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)


class Customer(Base):
    """One person or organisation; absorbed customers keep their row, pointing at the survivor."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    anonymous: Mapped[bool] = mapped_column(default=False)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    identities: Mapped[list[Identity]] = relationship(
        back_populates="customer", order_by="Identity.id")


class Identity(Base):
    """A phone (E.164), email (lower-case) or member ID; (kind, value) belongs to one customer."""

    __tablename__ = "customer_identities"
    __table_args__ = (
        UniqueConstraint("kind", "value"),
        _one_of("kind", IDENTITY_KINDS, "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(320))
    raw: Mapped[str] = mapped_column(String(320))
    rule: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(40), default="api")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="identities")


class Ticket(Base):
    """A conversation with a customer across channels; `updated_at` is its last activity."""

    __tablename__ = "tickets"
    __table_args__ = (
        _one_of("status", STATUSES, "status"),
        _one_of("priority", PRIORITIES, "priority"),
        _one_of("channel", CHANNELS, "channel"),
        Index("ix_tickets_customer_status_updated", "customer_id", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    subject: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="new")
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    channel: Mapped[str] = mapped_column(String(16))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Set by the desk's assignment rules (desk/assignment.py): the team a ticket waits for, and
    # when it was last given to its assignee.
    team: Mapped[str | None] = mapped_column(String(64))
    assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_response_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    solved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Interaction(Base):
    """One contact on a ticket (a call, voicemail, email, chat...); `customer_id` follows the ticket."""

    __tablename__ = "interactions"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        _one_of("channel", CHANNELS, "channel"),
        _one_of("direction", DIRECTIONS, "direction"),
        Index("ix_interactions_customer_at", "customer_id", "at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(16), default="inbound")
    author: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    attachments: Mapped[list] = mapped_column(JSONType, default=list)
    meta: Mapped[dict] = mapped_column("metadata", JSONType, default=dict)
    external_id: Mapped[str | None] = mapped_column(String(255))
    thread_reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerMerge(Base):
    """A merge of `merged_id` into `survivor_id`, with the ids of what moved, so it can be undone."""

    __tablename__ = "customer_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    merged_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    moved: Mapped[dict] = mapped_column(JSONType, default=dict)
    actor: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    undone_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    restored: Mapped[dict | None] = mapped_column(JSONType)


class DuplicateFlag(Base):
    """Two customers that look like one person; a human decides (merge or dismiss), never a guess."""

    __tablename__ = "duplicate_flags"
    __table_args__ = (
        UniqueConstraint("customer_id", "other_customer_id"),
        CheckConstraint("customer_id < other_customer_id", name="ordered_pair"),
        _one_of("status", FLAG_STATUSES, "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    other_customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class RejectedMessage(Base):
    """Inbound mail we could not file, kept byte for byte with the reason for a human to inspect."""

    __tablename__ = "rejected_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32), default="email")
    reason: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
