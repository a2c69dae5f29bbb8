"""Recordings (voicemail and recorded calls), their transcripts, and who touched the audio."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JSONType, UTCDateTime, utcnow
from crm_link.references import register_customer_reference

# pending: waiting for (or in) a transcription job; transcribed and failed are final;
# discarded: the caller re-recorded; deleted: audio removed (retention or a person's request).
STATUSES = ("pending", "transcribed", "failed", "discarded", "deleted")


class Recording(Base):
    """One Twilio recording; it ends transcribed or visibly failed, never silently dropped."""

    __tablename__ = "recordings"
    __table_args__ = (Index("ix_recordings_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_sid: Mapped[str] = mapped_column(String(64), unique=True)
    call_sid: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))             # voicemail | call
    mailbox: Mapped[str | None] = mapped_column(String(64), index=True)
    take: Mapped[int | None] = mapped_column(Integer)
    source_url: Mapped[str] = mapped_column(Text)
    duration: Mapped[int] = mapped_column(Integer, default=0)
    channels: Mapped[int] = mapped_column(Integer, default=1)
    language: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    failure_reason: Mapped[str | None] = mapped_column(Text)       # why it failed (final)
    last_error: Mapped[str | None] = mapped_column(Text)           # why the last try failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    job_id: Mapped[str | None] = mapped_column(String(64))
    storage_key: Mapped[str | None] = mapped_column(String(255))
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    queue: Mapped[str | None] = mapped_column(String(64))   # the call's queue, if it had one
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interactions.id"))
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # voicemail taken
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    transcribed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Transcript(Base):
    """The text of a recording with word timings and speaker turns, and how it was made."""

    __tablename__ = "transcripts"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"),
                                              unique=True)
    text: Mapped[str] = mapped_column(Text)
    words: Mapped[list] = mapped_column(JSONType)
    turns: Mapped[list] = mapped_column(JSONType)
    language: Mapped[str | None] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(128))
    duration: Mapped[float] = mapped_column()
    processing_seconds: Mapped[float] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecordingAudit(Base):
    """Who listened to, downloaded or deleted a recording, kept after the audio is gone."""

    __tablename__ = "recording_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(Integer, index=True)  # survives deletion
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(128))
    detail: Mapped[dict] = mapped_column(JSONType, default=dict)


register_customer_reference("recordings", Recording.__table__.c.customer_id)
