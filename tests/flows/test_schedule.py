"""Business hours across time zones, holidays, closed dates, overnight and special openings."""

import datetime as dt

import pytest

from ivr.flows import schedule
from ivr.flows.schedule import is_open

UTC = dt.UTC


def build(spec: dict, tz: str = "Asia/Tokyo"):
    errors = []
    result = schedule.parse("s", spec, tz, lambda path, msg: errors.append((path, msg)))
    assert not errors, errors
    return result


TOKYO = {"mon-fri": "09:00-18:00", "sat": "10:00-15:00", "closed_on": ["12-31", "01-01..01-03"],
         "holidays": "JP"}
NEW_YORK = {"mon-fri": "08:00-20:00", "sat": "09:00-13:00", "holidays": "US"}


@pytest.mark.parametrize("spec, tz, at, expected", [
    (TOKYO, "Asia/Tokyo", "2026-11-24T03:00Z", True),    # Tue 12:00 JST
    (TOKYO, "Asia/Tokyo", "2026-11-24T00:00Z", True),    # 09:00 JST: opening minute
    (TOKYO, "Asia/Tokyo", "2026-11-23T23:59Z", False),   # 08:59 JST
    (TOKYO, "Asia/Tokyo", "2026-11-24T09:00Z", False),   # 18:00 JST: closing is exclusive
    (TOKYO, "Asia/Tokyo", "2026-11-23T03:00Z", False),   # Mon, Labour Thanksgiving Day
    (TOKYO, "Asia/Tokyo", "2026-11-28T02:00Z", True),    # Sat 11:00
    (TOKYO, "Asia/Tokyo", "2026-11-28T07:00Z", False),   # Sat 16:00
    (TOKYO, "Asia/Tokyo", "2026-11-29T03:00Z", False),   # Sunday
    (TOKYO, "Asia/Tokyo", "2026-12-31T03:00Z", False),   # closed_on 12-31 (a Thursday)
    (TOKYO, "Asia/Tokyo", "2027-01-02T02:00Z", False),   # 01-01..01-03, a Saturday
    (TOKYO, "Asia/Tokyo", "2027-01-04T03:00Z", True),    # back on Monday
    (NEW_YORK, "America/New_York", "2026-11-24T03:00Z", False),  # Mon 22:00 EST
    (NEW_YORK, "America/New_York", "2026-11-24T14:00Z", True),   # Tue 09:00 EST
    (NEW_YORK, "America/New_York", "2026-11-26T15:00Z", False),  # Thanksgiving
    (NEW_YORK, "America/New_York", "2026-07-06T12:30Z", True),   # 08:30 EDT (summer time)
    (NEW_YORK, "America/New_York", "2026-01-06T12:30Z", False),  # 07:30 EST (winter time)
    ({"fri": "22:00-06:00"}, "Asia/Tokyo", "2026-11-27T14:00Z", True),   # Fri 23:00
    ({"fri": "22:00-06:00"}, "Asia/Tokyo", "2026-11-27T20:00Z", True),   # Sat 05:00
    ({"fri": "22:00-06:00"}, "Asia/Tokyo", "2026-11-27T22:00Z", False),  # Sat 07:00
    ({"mon-fri": "09:00-12:00, 13:00-18:00"}, "Asia/Tokyo", "2026-11-24T03:30Z", False),  # lunch
    ({"mon-fri": ["09:00-12:00", "13:00-18:00"]}, "Asia/Tokyo", "2026-11-24T04:30Z", True),
    ({"daily": "24h"}, "Asia/Tokyo", "2026-01-01T00:00Z", True),
    ({"daily": "10:00-20:00", "closed_on": ["12-29..01-03"]}, "Asia/Tokyo", "2026-12-30T03:00Z",
     False),
    ({"weekdays": "09:00-17:00", "holidays": "JP", "open_on": {"2026-11-23": "10:00-12:00"}},
     "Asia/Tokyo", "2026-11-23T02:00Z", True),       # special opening on a holiday
    ({"weekdays": "09:00-17:00", "open_on": {"2026-11-24": "closed"}}, "Asia/Tokyo",
     "2026-11-24T03:00Z", False),
    ({"sat,sun": "10:00-16:00"}, "Asia/Tokyo", "2026-11-29T03:00Z", True),
    ({"fri-mon": "10:00-16:00"}, "Asia/Tokyo", "2026-11-30T03:00Z", True),  # wraps the week
    ({"mon-fri": "09:00-18:00", "timezone": "Europe/London"}, "Asia/Tokyo", "2026-11-24T10:00Z",
     True),                                           # the schedule's own zone wins
])
def test_is_open(spec, tz, at, expected):
    assert is_open(build(spec, tz), dt.datetime.fromisoformat(at)) is expected


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="aware"):
        is_open(build(TOKYO), dt.datetime(2026, 11, 24, 12))


@pytest.mark.parametrize("key, days", [
    ("mon", [0]), ("mon-fri", [0, 1, 2, 3, 4]), ("sat,sun", [5, 6]), ("fri-mon", [4, 5, 6, 0]),
    ("daily", list(range(7))), ("weekends", [5, 6]), ("Tue", [1]), ("mon-fry", None),
    ("holiday", None),
])
def test_day_keys(key, days):
    assert schedule.parse_days(key) == days
