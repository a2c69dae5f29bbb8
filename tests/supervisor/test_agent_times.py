"""Operator working time from the state history: time by state and break reason, cut at the
period's edges, average handle time and occupancy in the report and its CSV."""

import datetime as dt

import pytest
from sqlalchemy import insert

from core.accounts import find_user
from core.agent_states import AgentStateChange
from ivr.models import Call
from supervisor.agent_times import agent_times
from supervisor.reports import build_report
from supervisor.reports_periods import Period

JST = dt.timezone(dt.timedelta(hours=9))
DAY_START = dt.datetime(2026, 11, 10, 0, 0, tzinfo=JST)


def at(hours: float) -> dt.datetime:
    return DAY_START + dt.timedelta(hours=hours)


# alice's day: available before midnight, a call, wrap-up, a break, training, offline
HISTORY = [(-1, "available", None), (1, "reserved", None), (1.01, "on_call", None),
           (1.26, "wrap_up", None), (1.31, "available", None), (3, "break", "休憩"),
           (4, "available", None), (5, "break", "研修"), (5.5, "offline", None)]


@pytest.fixture
def alice(db, make_user):
    make_user("alice")
    with db.session() as session:
        user_id = find_user(session, "alice").id
        session.execute(insert(AgentStateChange.__table__), [
            {"user_id": user_id, "status": status, "reason": reason, "at": at(hours)}
            for hours, status, reason in HISTORY])
        session.add(Call(call_sid="CA1", from_number="+819011112222", to_number="+8131",
                         flow_name="f", flow_revision="r", state={}, turn=1, agent="alice",
                         started_at=at(0.99), answered_at=at(1.01), outcome="agent"))
    return user_id


@pytest.mark.parametrize("start, end, expected", [
    # the whole day: 1 h before the call from midnight, ...
    (0, 24, {"available": 3600 * (1 + 1.69 + 1), "reserved": 36, "on_call": 900,
             "wrap_up": 180, "break": 3600 * 1.5, "offline": 3600 * 18.5}),
    # a window cutting into the first available stretch and the first break
    (0.5, 3.5, {"available": 3600 * (0.5 + 1.69), "reserved": 36, "on_call": 900,
                "wrap_up": 180, "break": 1800}),
])
def test_time_by_state_is_cut_at_the_periods_edges(db, alice, start, end, expected):
    with db.session() as session:
        times = agent_times(session, at(start), at(end), at(48))["alice"]
    assert {state: round(seconds) for state, seconds in times.seconds.items()} == {
        state: round(seconds) for state, seconds in expected.items()}


def test_the_report_shows_working_time_handle_time_and_occupancy(db, alice):
    period = Period(dt.date(2026, 11, 10), dt.date(2026, 11, 10))
    with db.session() as session:
        table = build_report(session, period, now=at(48)).tables["agents"]
    row = next(r for r in table.rows if r["username"] == "alice")
    assert row["calls_handled"] == 1
    assert (row["minutes_on_call"], row["minutes_wrap_up"]) == (15.0, 3.0)
    assert row["minutes_break"] == 90.0 and row["breaks_by_reason"] == "休憩 60.0, 研修 30.0"
    assert row["avg_handle"] == 1080.0                     # 15 min talk + 3 min wrap-up
    staffed = 3600 * 3.69 + 36 + 900 + 180
    assert row["occupancy"] == round(100 * (36 + 900 + 180) / staffed, 1)
