"""Reports over a seeded random history match figures recomputed record by record in the test."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from supervisor.reports import build_report, percentile
from supervisor.reports_periods import Period, PeriodError, parse_period
from tests.supervisor import dashboard_fixtures as fx

FIRST, LAST = dt.date(2026, 10, 27), dt.date(2026, 12, 3)   # crosses months and ISO weeks


@pytest.fixture
def seeded(db, make_user):
    ids = {name: make_user(name, display_name=f"{name.title()} 担当").id for name in fx.AGENTS}
    history = fx.generate(random.Random(6), FIRST, LAST, user_ids=ids)
    with db.session() as session:
        fx.store(session, history, ids)
    return history


def _rows(table) -> dict[str, dict]:
    return {row[table.columns[0]]: row for row in table.rows}


@pytest.mark.parametrize("by", ["day", "week", "month"])
def test_summary_matches_the_records_bucket_by_bucket(db, seeded, by):
    with db.session() as session:
        report = build_report(session, Period(FIRST, LAST, "Asia/Tokyo", by))
    expected = fx.expected_summary(seeded, FIRST, LAST, by)
    rows = _rows(report.tables["summary"])
    assert set(expected) <= set(rows)
    assert sum(r["calls"] for r in rows.values()) == sum(e["calls"] for e in expected.values())
    for name, row in rows.items():
        want = expected.get(name, {})
        for key in ("contacts", "calls", "answered", "self_service", "abandoned_ivr",
                    "abandoned_queue", "voicemail", "callback"):
            assert row[key] == want.get(key, 0), (name, key)
        assert row["avg_wait"] == pytest.approx(want.get("avg_wait")), name
        assert row["p90_wait"] == pytest.approx(want.get("p90_wait")), name


def test_a_call_at_23_30_jst_counts_on_that_jst_day_and_the_edges_are_exact(db, seeded):
    with db.session() as session:
        report = build_report(session, Period(FIRST, FIRST, "Asia/Tokyo", "day"))
    first_day_calls = [c for c in seeded.calls
                       if c["started_at"].astimezone(fx.TOKYO).date() == FIRST]
    assert any(c["started_at"] == fx.jst(FIRST, 23, 30) for c in first_day_calls)
    assert fx.jst(FIRST, 23, 30).date() == FIRST            # 14:30 UTC the same day ...
    assert report.tables["summary"].rows[0]["calls"] == len(first_day_calls)
    with db.session() as session:                           # ... and not the next UTC-day
        utc_day = build_report(session, Period(FIRST, FIRST, "UTC", "day"))
    utc_calls = [c for c in seeded.calls if c["started_at"].date() == FIRST]
    assert utc_day.tables["summary"].rows[0]["calls"] == len(utc_calls)
    assert len(utc_calls) != len(first_day_calls)


def test_weeks_are_iso_weeks_cut_by_the_period(db, seeded):
    with db.session() as session:
        report = build_report(session, Period(FIRST, LAST, "Asia/Tokyo", "week"))
    labels = [row["period"] for row in report.tables["summary"].rows]
    assert labels[0] == "2026-W44 (2026-10-26)" and labels[-1] == "2026-W49 (2026-11-30)"
    assert len(labels) == 6
    with db.session() as session:
        months = build_report(session, Period(FIRST, LAST, "Asia/Tokyo", "month"))
    assert [r["period"] for r in months.tables["summary"].rows] == ["2026-10", "2026-11",
                                                                      "2026-12"]


@pytest.mark.parametrize("channel", ["", "email"])
def test_ticket_response_and_resolution_times(db, seeded, channel):
    with db.session() as session:
        report = build_report(session, Period(FIRST, LAST, "Asia/Tokyo", "week"), channel)
    expected = fx.expected_tickets(seeded, FIRST, LAST, "week", channel)
    for name, row in _rows(report.tables["tickets"]).items():
        want = expected.get(name, {"tickets_created": 0, "responses": [], "resolutions": []})
        assert row["tickets_created"] == want["tickets_created"], name
        assert row["responded"] == len(want["responses"])
        assert row["solved"] == len(want["resolutions"])
        assert row["avg_first_response"] == pytest.approx(fx.mean(want["responses"]))
        assert row["p90_first_response"] == pytest.approx(fx.p90(want["responses"]))
        assert row["avg_resolution"] == pytest.approx(fx.mean(want["resolutions"]))
        assert row["p90_resolution"] == pytest.approx(fx.p90(want["resolutions"]))


def test_contacts_by_channel_and_per_agent(db, seeded):
    with db.session() as session:
        report = build_report(session, Period(FIRST, LAST))
    channels = _rows(report.tables["channels"])
    in_period = [c for c in seeded.calls if fx.in_period(c["started_at"], FIRST, LAST)]
    assert channels["voice"]["contacts"] == len(in_period)
    assert channels["voicemail"]["contacts"] == sum(c["outcome"] == "voicemail"
                                                    for c in in_period)
    for name in fx.NON_VOICE:
        assert channels[name]["contacts"] == sum(
            1 for x in seeded.interactions if x["channel"] == name
            and x["direction"] == "inbound" and fx.in_period(x["at"], FIRST, LAST))
    assert channels["total"]["contacts"] == sum(channels[n]["contacts"]
                                                for n in ("voice", *fx.NON_VOICE))
    agents = {row["username"]: row for row in report.tables["agents"].rows}
    expected = fx.expected_agents(seeded, FIRST, LAST)
    assert set(agents) == set(expected)
    for name, want in expected.items():
        assert agents[name]["calls_handled"] == want["calls_handled"]
        assert agents[name]["tickets_solved"] == want["tickets_solved"]
        assert agents[name]["agent"] == f"{name.title()} 担当"


def test_a_non_voice_channel_shows_only_its_contacts(db, seeded):
    with db.session() as session:
        report = build_report(session, Period(FIRST, LAST, by="month"), "chat")
    assert not report.includes_calls
    assert report.tables["summary"].columns == ("period", "contacts")
    assert sum(r["contacts"] for r in report.tables["summary"].rows) == sum(
        1 for x in seeded.interactions if x["channel"] == "chat"
        and x["direction"] == "inbound" and fx.in_period(x["at"], FIRST, LAST))
    assert all(row["calls_handled"] == 0 for row in report.tables["agents"].rows)


@pytest.mark.parametrize("n", range(1, 120))
def test_percentile_is_nearest_rank_for_every_size(n):
    values = [float(v) for v in random.Random(n).sample(range(10_000), n)]
    assert percentile(values) == fx.p90(values)


def test_periods_are_checked():
    today = dt.date(2026, 11, 24)
    default = parse_period(None, None, None, None, today)
    assert (default.first, default.last, default.tz, default.by) == (
        dt.date(2026, 11, 18), today, "Asia/Tokyo", "day")
    for bad in (("2026-11-30", "2026-11-01", "day", None), ("x", None, "day", None),
                (None, None, "year", None), (None, None, "day", "Mars/Base"),
                ("2024-01-01", "2026-01-01", "day", None)):
        with pytest.raises(PeriodError):
            parse_period(*bad, today=today)
