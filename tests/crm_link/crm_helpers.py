"""Helpers shared by the customer-record tests (imported by name: tests/crm_link is on sys.path)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from crm_link.contacts import record_contact
from crm_link.directory import Contact, ContactResult

NOW = dt.datetime(2024, 6, 3, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def file(session, at: dt.datetime | None = NOW, window_days: int = 7, **fields) -> ContactResult:
    """File a contact (a call unless a channel is given) at a fixed time."""
    fields.setdefault("channel", "voice")
    return record_contact(session, Contact(at=at, **fields), region="JP",
                          window_days=window_days)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))
