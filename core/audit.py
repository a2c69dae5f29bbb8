"""The audit log: who did what sensitive thing to what, and when (monitoring a call, and in
time playbacks, exports, merges, role changes). Written in the acting transaction, so an
action and its entry commit together or not at all."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, JSONType, UTCDateTime, utcnow


class AuditEntry(Base):
    """One sensitive action."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_action_at", "action", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))          # a username, or "api:<name>"
    action: Mapped[str] = mapped_column(String(40))         # e.g. monitor.listen
    target: Mapped[str] = mapped_column(String(120))        # e.g. agent_call:12
    details: Mapped[dict] = mapped_column(JSONType, default=dict)


def record(session: Session, actor: str, action: str, target: str, now: dt.datetime,
           **details) -> AuditEntry:
    """Add one entry to the log (committed with the caller's transaction)."""
    entry = AuditEntry(at=now, actor=actor[:64], action=action[:40], target=target[:120],
                       details=details)
    session.add(entry)
    return entry


def entries(session: Session, action_prefix: str = "", limit: int = 100) -> list[AuditEntry]:
    """The newest entries, optionally of one family of actions (`monitor.`)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action_prefix:
        query = query.where(AuditEntry.action.startswith(action_prefix))
    return list(session.scalars(query))
