"""The distributor's tables: who waits in which queue (callers and call-backs), and each offer
of one of them to one agent.

The database decides: a waiting entry moves waiting -> offered and the agent available ->
reserved in the same transaction, each by a guarded statement, so no caller is offered to two
agents and no agent gets two calls, however many processes distribute at once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JSONType, UTCDateTime, utcnow

# waiting: in line; offered: an agent's phone rings with it; connected: talking; ended: done
WAITING_STATUSES = ("waiting", "offered", "connected", "ended")
# ringing -> answered -> ended; or missed (no answer, busy, failed), canceled (the caller left
# first), gone (answered, but the caller had just hung up), failed (Twilio refused the call)
OFFER_STATUSES = ("ringing", "answered", "ended", "missed", "canceled", "gone", "failed")


class Waiting(Base):
    """A caller in a queue, or a call-back waiting to be dialed; `enqueued_at` is their place."""

    __tablename__ = "acd_waiting"
    __table_args__ = (Index("ix_acd_waiting_status_queue", "status", "queue", "priority",
                            "enqueued_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="call")  # call | callback | transfer
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    queue: Mapped[str] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    skills: Mapped[dict] = mapped_column(JSONType, default=dict)       # skill -> least level
    enqueued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    max_wait: Mapped[int] = mapped_column(Integer, default=300)
    record: Mapped[bool] = mapped_column(Boolean, default=False)       # record the conversation
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    queue_sid: Mapped[str | None] = mapped_column(String(64))         # Twilio's queue (QU...)
    dialed: Mapped[str | None] = mapped_column(String(128))           # our number they called
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str | None] = mapped_column(String(32))
    # call-backs: whom to call, for which ticket, when to try next
    number: Mapped[str | None] = mapped_column(String(32))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # transfers: a customer an agent handed to the queue waits on hold in this room, this leg
    room: Mapped[str | None] = mapped_column(String(64))
    leg: Mapped[str | None] = mapped_column(String(64))


class Offer(Base):
    """One waiting entry offered to one agent: their phone rings until answered or missed."""

    __tablename__ = "acd_offers"
    __table_args__ = (Index("ix_acd_offers_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    waiting_id: Mapped[int] = mapped_column(ForeignKey("acd_waiting.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    queue: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="ringing")
    agent_call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    wrap_up_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @property
    def room(self) -> str:
        """The conference the agent and the caller meet in."""
        return f"offer-{self.id}"
