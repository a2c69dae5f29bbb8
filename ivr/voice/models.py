"""One agent's part in a phone conversation with a customer, inbound (the ACD's offer) or
outbound (placed from the desk): the conference the legs meet in, and what the agent did.
A transferred conversation keeps its room; the agent it goes to gets a row of their own."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JSONType, UTCDateTime, utcnow
from crm_link.references import register_customer_reference

# dialing: the customer's phone rings; connected: talking; ended: over (ended_reason says how)
STATUSES = ("dialing", "connected", "ended")


class AgentCall(Base):
    """A conversation an agent controls from the desk (hold, recording pause, wrap-up)."""

    __tablename__ = "agent_calls"
    __table_args__ = (Index("ix_agent_calls_user_status", "user_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(16))            # inbound | outbound
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    room: Mapped[str] = mapped_column(String(64), index=True)     # the conference's name
    conference_sid: Mapped[str | None] = mapped_column(String(64))
    agent_call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    customer_call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    number: Mapped[str | None] = mapped_column(String(32))        # the customer's, E.164
    caller_id: Mapped[str | None] = mapped_column(String(32))     # ours, as they see it
    queue: Mapped[str | None] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interactions.id"))
    language: Mapped[str] = mapped_column(String(16), default="ja-JP")   # the customer's
    record: Mapped[bool] = mapped_column(Boolean, default=True)
    recording_sid: Mapped[str | None] = mapped_column(String(64))
    recording_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    on_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    customer_joined: Mapped[bool] = mapped_column(Boolean, default=False)  # in the room now
    status: Mapped[str] = mapped_column(String(16), default="dialing")
    ended_reason: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    connected_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    disposition: Mapped[str | None] = mapped_column(String(40))
    wrap_note: Mapped[str | None] = mapped_column(Text)
    wrapped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    transferred_from: Mapped[int | None] = mapped_column(ForeignKey("agent_calls.id"))
    callback_offer: Mapped[int | None] = mapped_column(ForeignKey("acd_offers.id"))  # a call-back
    # A transfer or added party in progress: {"mode", "kind", "target", "leg", "status"}
    transfer: Mapped[dict | None] = mapped_column(JSONType)
    # What the agent did, in order: {"at", "kind": hold|resume|pause|unpause, "offset": s}
    events: Mapped[list] = mapped_column(JSONType, default=list)


register_customer_reference("agent_calls", AgentCall.__table__.c.customer_id)


MODES = ("listen", "whisper", "barge")


class Monitoring(Base):
    """A supervisor in an agent's call: listening, coaching the agent (whisper) or talking."""

    __tablename__ = "call_monitoring"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_call_id: Mapped[int] = mapped_column(ForeignKey("agent_calls.id"), index=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    leg: Mapped[str] = mapped_column(String(64), index=True)   # the supervisor's browser leg
    mode: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
