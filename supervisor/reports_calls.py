"""Report tables of agents' own calls: outbound calls per period, and wrap-up dispositions.

* **outbound placed**: desk calls of agents to customers (`calls.direction = outbound`), by
  `started_at`; **reached**: the customer answered; **average talk**: Twilio's duration of
  the answered ones, in seconds.
* **dispositions**: the code each agent chose at wrap-up, per queue, for calls (inbound and
  outbound) that started in the period; calls closed without one count as "(none)".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ivr.models import Call
from ivr.voice.models import AgentCall
from supervisor.reports_periods import Bucket, Period


def outbound_table(session: Session, period: Period, buckets: list[Bucket], table_of, bucket_of,
                   within, average):
    """Per bucket: outbound calls placed, reached, and their average talk time."""
    bucket = bucket_of(Call.started_at, buckets).label("bucket")
    query = (select(bucket, func.count(), func.count(case((Call.answered_at.is_not(None), 1))))
             .where(within(Call.started_at, period), Call.direction == "outbound")
             .group_by(bucket))
    counts = {row[0]: row[1:] for row in session.execute(query)}
    talks: dict[int, list[float]] = defaultdict(list)
    for index, seconds in session.execute(
            select(bucket_of(Call.started_at, buckets), Call.duration)
            .where(within(Call.started_at, period), Call.direction == "outbound",
                   Call.answered_at.is_not(None), Call.duration.is_not(None))):
        talks[index].append(float(seconds))
    table = table_of("outbound", ("period", "outbound_placed", "outbound_reached",
                                  "avg_talk"))
    for i, bucket in enumerate(buckets):
        placed, reached = counts.get(i, (0, 0))
        table.rows.append({"period": bucket.label, "outbound_placed": placed,
                           "outbound_reached": reached, "avg_talk": average(talks[i])})
    return table


def dispositions_table(session: Session, period: Period, table_of, within,
                       labels: Mapping[str, str]):
    """How the period's calls were closed: per queue and disposition (`labels`: code ->
    what the reader calls it)."""
    rows = session.execute(
        select(AgentCall.queue, AgentCall.disposition, func.count())
        .where(within(AgentCall.started_at, period), AgentCall.status == "ended")
        .group_by(AgentCall.queue, AgentCall.disposition)
        .order_by(AgentCall.queue, AgentCall.disposition)).all()
    table = table_of("dispositions", ("queue", "disposition", "disposition_label",
                                           "call_count"))
    for queue, code, count in rows:
        table.rows.append({"queue": queue or "-", "disposition": code or "-",
                           "disposition_label": labels.get(code, code or "-"),
                           "call_count": count})
    return table
