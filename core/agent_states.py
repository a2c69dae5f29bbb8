"""Agent states: what an agent is doing now, kept with every change (the state history).

`offline`, `available` and `break` (with a reason such as 休憩 or 研修) are chosen by the agent
or a supervisor (`set_by_hand`); `reserved` (a call is being offered), `on_call` and `wrap_up`
follow the calls (`move`, one guarded statement, so two processes can never both take an
available agent). Every change is announced (`AgentPresenceChanged`) once it commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, insert, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session

from core.db import Base, UTCDateTime, utcnow
from core.errors import AccountError, InvalidValue
from core.events import Event, emit

if TYPE_CHECKING:
    from core.accounts import User

STATES = ("offline", "available", "reserved", "on_call", "wrap_up", "break")
BY_HAND = ("offline", "available", "break")        # the rest follow the calls
WORKING = ("available", "reserved", "on_call", "wrap_up")   # signed in and taking work
MAX_REASON = 40
BREAK_REASONS = ("休憩", "研修", "会議", "その他")    # offered in the desk; the API takes any


class StateRefused(AccountError):
    """The agent's state follows a call right now and cannot be changed by hand."""

    http_status = 409


class AgentStateChange(Base):
    """One change of an agent's state: what it became, why, and when."""

    __tablename__ = "agent_state_changes"
    __table_args__ = (Index("ix_agent_state_changes_user_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(MAX_REASON))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


@dataclass(frozen=True)
class AgentPresenceChanged(Event):
    """An agent's state changed (the wall refreshes; the distributor may offer a caller)."""

    kind = "agent.presence"
    live = True
    username: str
    presence: str
    previous: str
    reason: str | None = None


def check_state(status: str, reason: str | None, allowed: Iterable[str] = STATES) -> str | None:
    """The reason to store: breaks need one (≤ 40 characters); other states keep none."""
    allowed = tuple(allowed)
    if status not in allowed:
        raise InvalidValue(f"Status {status!r} is not one of {', '.join(allowed)}.")
    if status != "break":
        return None
    reason = (reason or "").strip()
    if not reason:
        raise InvalidValue("Say why the agent is on a break (a reason such as 休憩 or 研修).")
    if len(reason) > MAX_REASON or any(ord(ch) < 32 for ch in reason):
        raise InvalidValue(f"A break reason is at most {MAX_REASON} printable characters, not "
                           f"{reason[:60]!r}.")
    return reason


def set_presence(user: User, presence: str, now: dt.datetime | None = None,
                 reason: str | None = None) -> bool:
    """Change the state in the user's session; the history and the event follow. True when
    something changed (the same state with another break reason is a change)."""
    reason = check_state(presence, reason)
    if (user.presence, user.presence_reason) == (presence, reason):
        return False
    previous, now = user.presence, now or utcnow()
    user.presence, user.presence_reason, user.presence_changed_at = presence, reason, now
    session = object_session(user)
    if session is not None:
        session.add(AgentStateChange(user_id=user.id, status=presence, reason=reason, at=now))
        emit(session, AgentPresenceChanged(user.username, presence, previous, reason))
    return True


def set_by_hand(user: User, status: str, reason: str | None = None,
                now: dt.datetime | None = None) -> bool:
    """The agent's own choice (desk, API): offline, available or a break. Refused while a call
    is offered or in progress; wrap-up may be ended early."""
    check_state(status, reason, BY_HAND)
    if user.presence in ("reserved", "on_call"):
        raise StateRefused(f"{user.username} is {user.presence.replace('_', ' ')}; the state "
                           "follows the call until it ends.")
    return set_presence(user, status, now, reason)


def start_wrap_up(session: Session, user_id: int, expect: Iterable[str], now: dt.datetime,
                  seconds: int) -> bool:
    """A call ended: after-call work for `seconds` (0: straight back to available)."""
    if seconds <= 0:
        return move(session, user_id, expect, "available", now)
    if not move(session, user_id, expect, "wrap_up", now):
        return False
    users = Base.metadata.tables["users"]
    session.execute(update(users).where(users.c.id == user_id)
                    .values(wrap_up_until=now + dt.timedelta(seconds=seconds)))
    return True


def end_wrap_ups(session: Session, now: dt.datetime) -> int:
    """Agents whose after-call work is over are available again; how many."""
    users = Base.metadata.tables["users"]
    due = session.scalars(select(users.c.id).where(
        users.c.presence == "wrap_up",
        or_(users.c.wrap_up_until.is_(None), users.c.wrap_up_until <= now))).all()
    return sum(move(session, user_id, ("wrap_up",), "available", now) for user_id in due)


def move(session: Session, user_id: int, expect: Iterable[str], to: str, now: dt.datetime,
         reason: str | None = None) -> bool:
    """Move an agent from one of `expect` to `to` in one guarded statement: False when the agent
    was in another state (another process took them first). Announced like any change."""
    reason = check_state(to, reason)
    users = Base.metadata.tables["users"]
    row = session.execute(select(users.c.username, users.c.presence)
                          .where(users.c.id == user_id)).first()
    if row is None or row.presence not in tuple(expect):
        return False
    moved = session.execute(
        update(users).where(users.c.id == user_id, users.c.presence == row.presence)
        .values(presence=to, presence_reason=reason, presence_changed_at=now)).rowcount
    if not moved:
        return False
    session.execute(insert(AgentStateChange.__table__).values(user_id=user_id, status=to,
                                                              reason=reason, at=now))
    emit(session, AgentPresenceChanged(row.username, to, row.presence, reason))
    return True
