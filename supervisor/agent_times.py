"""Operator working time from the state history: how long each agent was available, on calls,
in wrap-up and on break (by reason) within a period, from `agent_state_changes`.

Each change starts an interval that lasts until the agent's next change (or the end of the
period, or now); intervals are cut at the period's edges, so a shift across midnight counts
on both days. The state an agent was in when the period began comes from their last change
before it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts import User
from core.agent_states import AgentStateChange

BUSY = ("reserved", "on_call", "wrap_up")           # occupied by calls
STAFFED = ("available", *BUSY)                      # signed in and taking calls


@dataclass
class AgentTime:
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    breaks: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def minutes(self, state: str) -> float:
        return round(self.seconds.get(state, 0.0) / 60, 1)

    @property
    def occupancy(self) -> float | None:
        """Share of staffed time spent on calls (reserved, talking, wrap-up), in percent."""
        staffed = sum(self.seconds.get(s, 0.0) for s in STAFFED)
        busy = sum(self.seconds.get(s, 0.0) for s in BUSY)
        return round(100 * busy / staffed, 1) if staffed else None

    def break_text(self) -> str:
        return ", ".join(f"{reason} {seconds / 60:.1f}"
                         for reason, seconds in sorted(self.breaks.items()))


def agent_times(session: Session, start: dt.datetime, end: dt.datetime,
                now: dt.datetime) -> dict[str, AgentTime]:
    """username -> time by state within [start, end)."""
    end = min(end, now)
    names = dict(session.execute(select(User.id, User.username)).all())
    before = select(AgentStateChange.user_id, func.max(AgentStateChange.id).label("id")).where(
        AgentStateChange.at < start).group_by(AgentStateChange.user_id).subquery()
    opening = session.scalars(select(AgentStateChange).join(before, before.c.id ==
                                                           AgentStateChange.id))
    inside = session.scalars(select(AgentStateChange).where(
        AgentStateChange.at >= start, AgentStateChange.at < end)
        .order_by(AgentStateChange.user_id, AgentStateChange.at, AgentStateChange.id))
    changes: dict[int, list] = defaultdict(list)
    for change in [*opening, *inside]:
        changes[change.user_id].append(change)
    times: dict[str, AgentTime] = {}
    for user_id, rows in changes.items():
        total = times.setdefault(names.get(user_id, f"#{user_id}"), AgentTime())
        for change, following in zip(rows, [*rows[1:], None], strict=True):
            begin = max(change.at, start)
            finish = following.at if following is not None else end
            seconds = max(0.0, (finish - begin).total_seconds())
            total.seconds[change.status] += seconds
            if change.status == "break":
                total.breaks[change.reason or "?"] += seconds
    return times
