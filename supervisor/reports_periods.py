"""Report periods: local dates in a time zone, cut into day/week/month buckets as UTC instants."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Tokyo"
GROUPINGS = ("day", "week", "month")
MAX_DAYS = 400  # a report over more than about a year is a different tool's job


class PeriodError(ValueError):
    """A period a person typed that cannot be reported on; the message says why."""


@dataclass(frozen=True)
class Bucket:
    """One row of a report: local first day, label, and its [start, end) in UTC."""

    first_day: dt.date
    label: str
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class Period:
    """Local dates `first`..`last` (both included) in `tz`, grouped `by`."""

    first: dt.date
    last: dt.date
    tz: str = DEFAULT_TIMEZONE
    by: str = "day"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def start(self) -> dt.datetime:
        return local_midnight(self.first, self.zone)

    @property
    def end(self) -> dt.datetime:
        return local_midnight(self.last + dt.timedelta(days=1), self.zone)

    def buckets(self) -> list[Bucket]:
        """The period's buckets in order; the first and last may be cut by the period."""
        result, day = [], self.first
        while day <= self.last:
            following = next_bucket(day, self.by)
            stop = min(following, self.last + dt.timedelta(days=1))
            result.append(Bucket(day, bucket_label(bucket_start(day, self.by), self.by),
                                 local_midnight(day, self.zone), local_midnight(stop, self.zone)))
            day = stop
        return result


def local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)


def bucket_start(day: dt.date, by: str) -> dt.date:
    """The day/ISO week (Monday)/month a local date belongs to."""
    if by == "week":
        return day - dt.timedelta(days=day.weekday())
    if by == "month":
        return day.replace(day=1)
    return day


def next_bucket(day: dt.date, by: str) -> dt.date:
    start = bucket_start(day, by)
    if by == "week":
        return start + dt.timedelta(days=7)
    if by == "month":
        return (start + dt.timedelta(days=32)).replace(day=1)
    return start + dt.timedelta(days=1)


def bucket_label(start: dt.date, by: str) -> str:
    if by == "month":
        return start.strftime("%Y-%m")
    if by == "week":
        iso = start.isocalendar()
        return f"{iso.year}-W{iso.week:02d} ({start.isoformat()})"
    return start.isoformat()


def parse_period(first: str | None, last: str | None, by: str | None, tz: str | None,
                 today: dt.date) -> Period:
    """A Period from query-string values; blanks mean the last 7 days, daily, in Asia/Tokyo."""
    tz = (tz or DEFAULT_TIMEZONE).strip()
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PeriodError(f"Unknown time zone {tz!r}; use a name like Asia/Tokyo.") from exc
    by = by or "day"
    if by not in GROUPINGS:
        raise PeriodError(f"Group by one of {', '.join(GROUPINGS)}, not {by!r}.")
    try:
        last_day = dt.date.fromisoformat(last) if last else today
        first_day = dt.date.fromisoformat(first) if first else last_day - dt.timedelta(days=6)
    except ValueError as exc:
        raise PeriodError("Dates must look like 2026-11-24.") from exc
    if first_day > last_day:
        raise PeriodError(f"The period starts ({first_day}) after it ends ({last_day}).")
    if (last_day - first_day).days >= MAX_DAYS:
        raise PeriodError(f"A report covers at most {MAX_DAYS} days.")
    return Period(first_day, last_day, tz, by)
