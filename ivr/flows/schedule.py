"""Business hours: parse `hours:` schedules and tell whether one is open at a given instant."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_calendars

from ivr.flows.model import Schedule, TimeRange

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_GROUPS = {"daily": DAYS, "weekdays": DAYS[:5], "weekends": DAYS[5:]}
SPECIAL_KEYS = ("closed_on", "open_on", "holidays", "timezone")
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YEARLY = re.compile(r"^\d{2}-\d{2}$")

Report = Callable[[tuple, str], None]


def valid_timezone(name: Any) -> bool:
    if not isinstance(name, str) or not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def parse(name: str, spec: Any, timezone: str, report: Report) -> Schedule | None:
    """Build a Schedule from its YAML mapping, reporting each bad entry at its own path."""
    if not isinstance(spec, dict):
        report((), f"schedule {name!r} must be a mapping of days to hours, e.g. "
                   "{mon-fri: \"09:00-18:00\"}")
        return None
    tz = spec.get("timezone", timezone)
    if not valid_timezone(tz):
        if "timezone" in spec:  # an inherited bad zone is reported once, on the flow
            report(("timezone",), f"unknown time zone {tz!r}")
        tz = "UTC"
    weekly: dict[int, tuple[TimeRange, ...]] = {}
    for key, value in spec.items():
        if key in SPECIAL_KEYS:
            continue
        days = parse_days(key)
        if days is None:
            report((key,), f"{key!r} is not a day or day range; use mon..sun, mon-fri, "
                           f"sat,sun, daily, weekdays, weekends, or {', '.join(SPECIAL_KEYS)}")
            continue
        ranges = parse_hours(value, lambda msg, key=key: report((key,), msg))
        for day in days:
            if day in weekly:
                report((key,), f"{DAYS[day]} is given twice in schedule {name!r}")
            weekly[day] = ranges
    closed_on, closed_ranges = _closed_dates(spec.get("closed_on", []), report)
    special = _special_dates(spec.get("open_on", {}), report)
    country = spec.get("holidays")
    if country is not None and not _known_country(country):
        report(("holidays",), f"holidays must be a country code such as JP or US, not {country!r}")
        country = None
    return Schedule(name=name, timezone=tz, weekly=weekly, closed_on=frozenset(closed_on),
                    closed_ranges=tuple(closed_ranges), special=special, holidays=country)


def parse_days(key: str) -> list[int] | None:
    """`mon-fri`, `sat,sun`, `daily`, `tue` -> weekday numbers (Monday = 0)."""
    days: list[int] = []
    for part in (p.strip().lower() for p in str(key).split(",")):
        if part in DAY_GROUPS:
            days += [DAYS.index(d) for d in DAY_GROUPS[part]]
        elif "-" in part:
            first, _, last = part.partition("-")
            if first not in DAYS or last not in DAYS:
                return None
            a, b = DAYS.index(first), DAYS.index(last)
            days += [d % 7 for d in range(a, b + 1 if b >= a else b + 8)]
        elif part in DAYS:
            days.append(DAYS.index(part))
        else:
            return None
    return days


def parse_hours(value: Any, report: Callable[[str], None]) -> tuple[TimeRange, ...]:
    """`"09:00-18:00"`, `"09:00-12:00, 13:00-18:00"`, a list of those, `closed`, or `24h`."""
    if value in ("closed", None, ""):
        return ()
    if value == "24h":
        return (TimeRange(dt.time(0, 0), 1440),)
    parts = value if isinstance(value, list) else str(value).split(",")
    ranges = []
    for part in parts:
        match = _RANGE.match(str(part).strip())
        if not match:
            report(f"hours must look like \"09:00-18:00\" (or closed, 24h), not {part!r}")
            continue
        h1, m1, h2, m2 = map(int, match.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
            report(f"{part!r} is not a valid time range")
            continue
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end == start:
            report(f"{part!r} is empty; use 24h for all day")
            continue
        ranges.append(TimeRange(dt.time(h1, m1), end if end > start else end + 1440))
    return tuple(ranges)


def _closed_dates(items: Any, report: Report):
    if not isinstance(items, list):
        report(("closed_on",), "closed_on must be a list of dates (YYYY-MM-DD, MM-DD every "
                               "year, or a range a..b of either)")
        return [], []
    dates, ranges = [], []
    for i, item in enumerate(items):
        text = str(item).strip()
        first, sep, last = (part.strip() for part in text.partition(".."))
        try:
            if sep:
                ranges.append(_date_range(first, last))
            else:
                dates.append(_date_key(text))
        except ValueError:
            report(("closed_on", i), f"{text!r} is not a date (YYYY-MM-DD), a yearly date "
                                     "(MM-DD) or a range of either (12-29..01-03)")
    return dates, ranges


def _date_key(text: str) -> str:
    """A full date, or MM-DD meaning every year; ValueError otherwise."""
    if _DATE.match(text):
        return dt.date.fromisoformat(text).isoformat()
    if _YEARLY.match(text):
        dt.date.fromisoformat(f"2024-{text}")  # a leap year accepts 02-29
        return text
    raise ValueError(text)


def _date_range(first: str, last: str) -> tuple[str, str]:
    """Full-date ranges must run forwards; yearly ranges may wrap the new year (12-29..01-03)."""
    a, b = _date_key(first), _date_key(last)
    if len(a) != len(b) or (len(a) == 10 and b < a):
        raise ValueError(f"{first}..{last}")
    return a, b


def _special_dates(items: Any, report: Report) -> dict[str, tuple[TimeRange, ...]]:
    if not isinstance(items, dict):
        report(("open_on",), "open_on must map dates to hours, e.g. {2026-12-28: \"09:00-12:00\"}")
        return {}
    special = {}
    for day, hours in items.items():
        try:
            key = dt.date.fromisoformat(str(day)).isoformat()
        except ValueError:
            report(("open_on", day), f"{day!r} is not a date (YYYY-MM-DD)")
            continue
        special[key] = parse_hours(hours, lambda msg, day=day: report(("open_on", day), msg))
    return special


def _known_country(code: Any) -> bool:
    return isinstance(code, str) and code.upper() in holiday_calendars.list_supported_countries()


@functools.lru_cache(maxsize=64)
def _holiday_calendar(country: str, year: int):
    return holiday_calendars.country_holidays(country.upper(), years=year)


def closed_all_day(schedule: Schedule, day: dt.date) -> bool:
    """Closed by date list, date range or public holiday (special opening dates win)."""
    if day.isoformat() in schedule.special:
        return False
    if day.isoformat() in schedule.closed_on or day.strftime("%m-%d") in schedule.closed_on:
        return True
    if any(_in_range(day, a, b) for a, b in schedule.closed_ranges):
        return True
    return bool(schedule.holidays) and day in _holiday_calendar(schedule.holidays, day.year)


def _in_range(day: dt.date, first: str, last: str) -> bool:
    key = day.isoformat() if len(first) == 10 else day.strftime("%m-%d")
    return first <= key <= last if first <= last else (key >= first or key <= last)


def _ranges_for(schedule: Schedule, day: dt.date) -> tuple[TimeRange, ...]:
    if closed_all_day(schedule, day):
        return ()
    return schedule.special.get(day.isoformat(), schedule.weekly.get(day.weekday(), ()))


def is_open(schedule: Schedule, at: dt.datetime) -> bool:
    """Open at this instant, in the schedule's own time zone (overnight ranges included)."""
    if at.tzinfo is None:
        raise ValueError(f"is_open needs an aware datetime, got {at!r}")
    local = at.astimezone(ZoneInfo(schedule.timezone))
    minute = local.hour * 60 + local.minute
    today, yesterday = local.date(), local.date() - dt.timedelta(days=1)
    if any(r.start_minutes <= minute < r.end_minutes for r in _ranges_for(schedule, today)):
        return True
    return any(r.start_minutes <= minute + 1440 < r.end_minutes
               for r in _ranges_for(schedule, yesterday))
