"""Ticket exports and counts: CSV for Excel, and per-period statistics in any time zone."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from crm_link.errors import InvalidInput
from crm_link.models import Interaction, Ticket
from crm_link.tickets import TicketFilter, iter_tickets

CSV_COLUMNS = ("id", "customer_id", "customer_name", "subject", "status", "priority", "channel",
               "assignee_id", "created_at", "updated_at", "first_response_at", "solved_at")
PERIODS = ("day", "week", "month")
MAX_PERIODS = 400
DEFAULT_SPAN = {"day": dt.timedelta(days=30), "week": dt.timedelta(weeks=12),
                "month": dt.timedelta(days=365)}
BOM = "\ufeff"


def tickets_csv(session: Session, filters: TicketFilter) -> Iterator[str]:
    """UTF-8 text with a BOM (so Excel reads Japanese), a header row, then one row per ticket."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    yield BOM + _drain(buffer)
    for ticket, name in iter_tickets(session, filters):
        row = ticket.to_dict()
        row["customer_name"] = name
        writer.writerow([_cell(row[c]) for c in CSV_COLUMNS])
        yield _drain(buffer)


def stats(session: Session, *, since: dt.datetime | None, until: dt.datetime | None,
          by: str, zone: ZoneInfo) -> dict:
    """Tickets (by created_at) per channel and status, interactions per channel and direction."""
    if by not in PERIODS:
        raise InvalidInput(f"by must be one of {', '.join(PERIODS)}, not {by!r}.", field="by")
    until = until or dt.datetime.now(dt.UTC)
    since = since or until - DEFAULT_SPAN[by]
    if since >= until:
        raise InvalidInput(f"since ({since.isoformat()}) must be before until "
                           f"({until.isoformat()}).", field="since")
    bounds = period_bounds(since, until, by, zone)
    periods = [{"start": start.astimezone(zone).isoformat(),
                "end": end.astimezone(zone).isoformat(),
                "tickets": {"total": 0, "by_channel": {}, "by_status": {},
                            "by_channel_status": {}},
                "interactions": {"total": 0, "by_channel": {}, "by_direction": {}}}
               for start, end in zip(bounds, bounds[1:], strict=False)]
    for index, channel, status, n in _counts(session, Ticket.created_at, Ticket.channel,
                                              Ticket.status, bounds):
        _add(periods[index]["tickets"], n, by_channel=channel, by_status=status)
        nested = periods[index]["tickets"]["by_channel_status"].setdefault(channel, {})
        nested[status] = nested.get(status, 0) + n
    for index, channel, direction, n in _counts(session, Interaction.at, Interaction.channel,
                                                 Interaction.direction, bounds):
        _add(periods[index]["interactions"], n, by_channel=channel, by_direction=direction)
    return {"by": by, "tz": zone.key, "since": bounds[0].astimezone(zone).isoformat(),
            "until": bounds[-1].astimezone(zone).isoformat(), "periods": periods}


def period_bounds(since: dt.datetime, until: dt.datetime, by: str,
                  zone: ZoneInfo) -> list[dt.datetime]:
    """UTC instants of local period starts covering [since, until), computed in Python so the
    same SQL works on PostgreSQL and SQLite and daylight-saving days are as long as they are."""
    local = since.astimezone(zone).replace(tzinfo=None)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if by == "week":
        start -= dt.timedelta(days=start.weekday())
    elif by == "month":
        start = start.replace(day=1)
    bounds = [start.replace(tzinfo=zone).astimezone(dt.UTC)]
    while bounds[-1] < until:
        start = _next(start, by)
        bounds.append(start.replace(tzinfo=zone).astimezone(dt.UTC))
        if len(bounds) > MAX_PERIODS + 1:
            raise InvalidInput(f"That range has more than {MAX_PERIODS} {by} periods; narrow "
                               "since/until or count by a longer period.", field="by")
    return bounds


def _counts(session: Session, time_col, first, second, bounds: list[dt.datetime]):
    """(period index, first, second, count) rows from one grouped query with a CASE on time."""
    period = case(*((time_col < end, i) for i, end in enumerate(bounds[1:])), else_=-1)
    # Grouped by the label: a CASE repeated in GROUP BY would get fresh bind parameters, which
    # PostgreSQL does not recognise as the selected expression.
    query = (select(period.label("period"), first, second, func.count())
             .where(and_(time_col >= bounds[0], time_col < bounds[-1]))
             .group_by("period", first, second))
    return [row for row in session.execute(query).all() if row[0] >= 0]


def _next(start: dt.datetime, by: str) -> dt.datetime:
    if by == "day":
        return start + dt.timedelta(days=1)
    if by == "week":
        return start + dt.timedelta(weeks=1)
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _add(bucket: dict, n: int, **keys: str) -> None:
    bucket["total"] += n
    for name, key in keys.items():
        bucket[name][key] = bucket[name].get(key, 0) + n


def _cell(value):
    """Plain values; text starting like a formula is quoted so Excel does not run it."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
