"""Agents whose desk is gone go offline: each open desk stream says it is alive in Redis, and
a worker task moves agents with no live desk for DESK_OFFLINE_SECONDS to `offline`, so a
closed browser is never rung as available.

Only states the agent chose (available, break) or after-call work end this way; a call in
progress (reserved, on_call) follows the call.
"""

from __future__ import annotations

import datetime as dt
import logging

import redis
from sqlalchemy import select

from core import agent_states
from core.accounts import User
from core.runtime import Runtime

log = logging.getLogger("desk.presence")
KEY = "desk:alive:{}"
IDLE_STATES = ("available", "break", "wrap_up")


def alive(client: redis.Redis | None, username: str, now: dt.datetime) -> None:
    """This agent has a live desk right now (called by their streams as they run)."""
    if client is None:
        return
    try:
        client.set(KEY.format(username), now.timestamp(), ex=24 * 3600)
    except redis.RedisError:
        log.warning("could not note a live desk", extra={"agent": username})


def last_alive(client: redis.Redis, usernames: list[str]) -> dict[str, float]:
    values = client.mget([KEY.format(name) for name in usernames]) if usernames else []
    return {name: float(value) for name, value in zip(usernames, values, strict=True) if value is not None}


def sweep(rt: Runtime) -> int:
    """Agents without a live desk for the configured time go offline; how many did."""
    after = rt.settings.desk.desk_offline_seconds
    if not after or rt.redis is None:
        return 0
    now = rt.clock()
    cutoff = (now - dt.timedelta(seconds=after))
    moved = 0
    with rt.db.session() as session:
        idle = session.execute(select(User.id, User.username, User.presence,
                                      User.presence_changed_at)
                               .where(User.presence.in_(IDLE_STATES))).all()
        seen = last_alive(rt.redis, [row.username for row in idle])
        for row in idle:
            last = max(seen.get(row.username, 0.0), row.presence_changed_at.timestamp())
            if last < cutoff.timestamp():
                moved += agent_states.move(session, row.id, (row.presence,), "offline", now)
    if moved:
        log.info("agents without a live desk went offline", extra={"count": moved})
    return moved
