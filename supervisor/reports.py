"""Contact-center reports for a period: counts by SQL, waits and percentiles from fetched times.

Definitions (what the system records; see ivr/call_effects.py):

* A call belongs to the bucket of its `started_at`, in the report's time zone (default
  Asia/Tokyo): a call at 23:30 JST on the 24th counts on the 24th.
* **answered**: an agent (or a transferred-to number) picked up, `answered_at` is set.
* **self-service**: the flow finished on its own (outcome `ivr`).
* **abandoned in IVR**: hung up in the menus, before any queue (outcome `abandoned_ivr`, or
  `missed` when the caller hung up before the flow even started).
* **abandoned in queue**: queued, never answered, not voicemail (outcome `abandoned_queue`).
* **voicemail** / **callback**: the caller left a message / booked a call-back.
* **wait**: from `queued_at` to `answered_at`, or to `ended_at` when nobody answered; only
  queued calls that are over (or answered) have one. **p90** is the nearest-rank 90th
  percentile: the smallest wait that at least 90 % of waits do not exceed.
* **contacts received**: voice = calls; email/chat/sms/web = inbound interactions of that
  channel; voicemail = calls that left a message (already part of voice, not added again).
* **tickets**: the tickets created in the bucket; first response = `first_response_at -
  created_at`, resolution = `solved_at - created_at` (of those that have them).
* **calls** (and their outcomes, waits, channels) are inbound; agents' own calls are in the
  outbound and dispositions tables (supervisor/reports_calls.py).
* **per agent**: calls answered by the agent (`Call.agent`) and tickets solved in the period
  (by `solved_at`) per assignee; minutes available, on calls, in wrap-up and on break (with
  minutes per break reason) from the state history (supervisor/agent_times.py); average
  handle time = (on-call + wrap-up seconds) / calls handled; occupancy = time reserved, on
  calls or in wrap-up / time signed in and taking calls (available, reserved, on call,
  wrap-up), in percent.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from core.accounts import User
from core.db import utcnow
from crm_link.models import CHANNELS, Interaction, Ticket
from ivr.models import Call
from supervisor.agent_times import AgentTime, agent_times
from supervisor.reports_calls import dispositions_table, outbound_table
from supervisor.reports_periods import Bucket, Period

CALL_COUNTS = ("calls", "answered", "self_service", "abandoned_ivr", "abandoned_queue",
               "voicemail", "callback")
NON_VOICE = ("email", "chat", "sms", "web")
CALL_CHANNELS = ("", "voice")  # channel filters under which call figures are shown


@dataclass
class Table:
    """One table of a report: column keys (translated on the page) and rows of plain values."""

    name: str
    columns: tuple[str, ...]
    rows: list[dict] = field(default_factory=list)


@dataclass
class Report:
    period: Period
    channel: str
    tables: dict[str, Table]

    @property
    def includes_calls(self) -> bool:
        return self.channel in CALL_CHANNELS


def percentile(values: list[float], percent: int = 90) -> float | None:
    """Nearest-rank percentile (None for no values); integer maths, so no 63.000001 ranks."""
    if not values:
        return None
    ordered = sorted(values)
    rank = -(-percent * len(ordered) // 100)  # ceil(percent * n / 100)
    return ordered[max(0, rank - 1)]


def average(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def build_report(session: Session, period: Period, channel: str = "",
                 now: dt.datetime | None = None,
                 dispositions: dict[str, str] | None = None) -> Report:
    """Every table of the report page for `period`, filtered to `channel` ('' = all);
    `dispositions`: each wrap-up code's label in the reader's language."""
    if channel and channel not in CHANNELS:
        raise ValueError(f"Channel must be one of {', '.join(CHANNELS)}, not {channel!r}.")
    buckets = period.buckets()
    tables = {"summary": _summary(session, period, buckets, channel),
              "channels": _channels(session, period),
              "tickets": _tickets(session, period, buckets, channel),
              "agents": _agents(session, period, channel, now)}
    if channel in CALL_CHANNELS:
        tables["outbound"] = outbound_table(session, period, buckets, Table, _bucket_of,
                                            _within, average)
        tables["dispositions"] = dispositions_table(session, period, Table, _within,
                                                    dispositions or {})
    return Report(period, channel, tables)


def _bucket_of(column, buckets: list[Bucket]):
    """SQL: the index of the bucket `column` falls in (rows are already limited to the period)."""
    return case(*[(column < b.end, i) for i, b in enumerate(buckets)], else_=None)


def _within(column, period: Period):
    return and_(column >= period.start, column < period.end)


def _summary(session: Session, period: Period, buckets: list[Bucket], channel: str) -> Table:
    columns = ("period", "contacts", *CALL_COUNTS, "avg_wait", "p90_wait")
    if channel not in CALL_CHANNELS:
        columns = ("period", "contacts")
    table = Table("summary", columns)
    calls = _call_counts(session, period, buckets)
    waits = _waits(session, period, buckets)
    other = _interaction_counts(session, period, buckets, channel)
    for i, bucket in enumerate(buckets):
        counts = calls.get(i, dict.fromkeys(CALL_COUNTS, 0))
        if channel in ("", "voice"):
            contacts = counts["calls"] + (other.get(i, 0) if not channel else 0)
        elif channel == "voicemail":
            contacts = counts["voicemail"]
        else:
            contacts = other.get(i, 0)
        row = {"period": bucket.label, "contacts": contacts}
        if channel in CALL_CHANNELS:
            row.update(counts, avg_wait=average(waits[i]), p90_wait=percentile(waits[i]))
        table.rows.append(row)
    return table


def _call_counts(session: Session, period: Period, buckets: list[Bucket]) -> dict[int, dict]:
    bucket = _bucket_of(Call.started_at, buckets).label("bucket")

    def when(condition):
        return func.count(case((condition, 1)))

    query = (select(bucket, func.count(), when(Call.answered_at.is_not(None)),
                    when(Call.outcome == "ivr"),
                    when(Call.outcome.in_(("abandoned_ivr", "missed"))),
                    when(Call.outcome == "abandoned_queue"), when(Call.outcome == "voicemail"),
                    when(Call.outcome == "callback"))
             .where(_within(Call.started_at, period), Call.direction == "inbound")
             .group_by(bucket))
    return {row[0]: dict(zip(CALL_COUNTS, row[1:], strict=True))
            for row in session.execute(query)}


def _waits(session: Session, period: Period, buckets: list[Bucket]) -> dict[int, list[float]]:
    """Seconds each queued (and finished or answered) call waited, per bucket."""
    bucket = _bucket_of(Call.started_at, buckets)
    query = (select(bucket, Call.queued_at, Call.answered_at, Call.ended_at)
             .where(_within(Call.started_at, period), Call.queued_at.is_not(None),
                    Call.direction == "inbound"))
    waits: dict[int, list[float]] = defaultdict(list)
    for index, queued, answered, ended in session.execute(query):
        until = answered or ended
        if until is not None:
            waits[index].append(max(0.0, (until - queued).total_seconds()))
    return waits


def _interaction_counts(session: Session, period: Period, buckets: list[Bucket],
                        channel: str) -> dict[int, int]:
    """Inbound non-voice contacts per bucket (one channel, or all of them)."""
    wanted = (channel,) if channel in NON_VOICE else NON_VOICE
    bucket = _bucket_of(Interaction.at, buckets).label("bucket")
    query = (select(bucket, func.count())
             .where(_within(Interaction.at, period), Interaction.direction == "inbound",
                    Interaction.channel.in_(wanted)).group_by(bucket))
    return dict(session.execute(query).all())


def _channels(session: Session, period: Period) -> Table:
    calls = session.execute(
        select(func.count(), func.count(case((Call.outcome == "voicemail", 1))))
        .where(_within(Call.started_at, period), Call.direction == "inbound")).one()
    others = dict(session.execute(
        select(Interaction.channel, func.count())
        .where(_within(Interaction.at, period), Interaction.direction == "inbound",
               Interaction.channel.in_(NON_VOICE)).group_by(Interaction.channel)).all())
    counts = {"voice": calls[0], "voicemail": calls[1],
              **{name: others.get(name, 0) for name in NON_VOICE}}
    rows = [{"channel": name, "contacts": counts[name]}
            for name in ("voice", "voicemail", *NON_VOICE)]
    rows.append({"channel": "total", "contacts": calls[0] + sum(others.values())})
    return Table("channels", ("channel", "contacts"), rows)


def _tickets(session: Session, period: Period, buckets: list[Bucket], channel: str) -> Table:
    query = (select(_bucket_of(Ticket.created_at, buckets), Ticket.created_at,
                    Ticket.first_response_at, Ticket.solved_at)
             .where(_within(Ticket.created_at, period)))
    if channel:
        query = query.where(Ticket.channel == channel)
    created: dict[int, int] = defaultdict(int)
    responses: dict[int, list[float]] = defaultdict(list)
    resolutions: dict[int, list[float]] = defaultdict(list)
    for index, opened, responded, solved in session.execute(query):
        created[index] += 1
        if responded is not None:
            responses[index].append(max(0.0, (responded - opened).total_seconds()))
        if solved is not None:
            resolutions[index].append(max(0.0, (solved - opened).total_seconds()))
    table = Table("tickets", ("period", "tickets_created", "responded", "avg_first_response",
                              "p90_first_response", "solved", "avg_resolution",
                              "p90_resolution"))
    for i, bucket in enumerate(buckets):
        table.rows.append({
            "period": bucket.label, "tickets_created": created[i],
            "responded": len(responses[i]), "avg_first_response": average(responses[i]),
            "p90_first_response": percentile(responses[i]), "solved": len(resolutions[i]),
            "avg_resolution": average(resolutions[i]),
            "p90_resolution": percentile(resolutions[i])})
    return table


TIMED_STATES = ("available", "on_call", "wrap_up", "break")
AGENT_COLUMNS = ("agent", "username", "calls_handled", "tickets_solved",
                 *(f"minutes_{state}" for state in TIMED_STATES), "breaks_by_reason",
                 "avg_handle", "occupancy")


def _agents(session: Session, period: Period, channel: str,
            now: dt.datetime | None = None) -> Table:
    handled: dict[str, int] = {}
    if channel in CALL_CHANNELS:
        handled = dict(session.execute(
            select(Call.agent, func.count())
            .where(_within(Call.started_at, period), Call.agent.is_not(None),
                   Call.answered_at.is_not(None)).group_by(Call.agent)).all())
    query = (select(Ticket.assignee_id, func.count())
             .where(_within(Ticket.solved_at, period), Ticket.assignee_id.is_not(None))
             .group_by(Ticket.assignee_id))
    if channel:
        query = query.where(Ticket.channel == channel)
    solved_by_id = dict(session.execute(query).all())
    users = {u.id: u for u in session.scalars(select(User))}
    names = {u.username: u.display_name or u.username for u in users.values()}
    solved: dict[str, int] = defaultdict(int)
    for user_id, count in solved_by_id.items():
        solved[users[user_id].username if user_id in users else f"#{user_id}"] += count
    times = agent_times(session, period.start, period.end, now or utcnow())
    rows = []
    for agent in sorted(set(handled) | set(solved) | set(times)):
        worked = times.get(agent, AgentTime())
        calls = handled.get(agent, 0)
        talk = worked.seconds.get("on_call", 0.0) + worked.seconds.get("wrap_up", 0.0)
        rows.append({"agent": names.get(agent, agent), "username": agent,
                     "calls_handled": calls, "tickets_solved": solved.get(agent, 0),
                     **{f"minutes_{state}": worked.minutes(state) for state in TIMED_STATES},
                     "breaks_by_reason": worked.break_text(),
                     "avg_handle": round(talk / calls, 1) if calls else None,
                     "occupancy": worked.occupancy})
    return Table("agents", AGENT_COLUMNS, rows)
