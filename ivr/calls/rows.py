"""The calls table on the webhook path: statements built once, run on Core without ORM bookkeeping.

A webhook reads one narrow row and writes it back with one guarded statement. Building those
statements per request (and mapping ORM entities) cost more than the database itself, so they
are built here once, with bind parameters, and run on a Core connection.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ivr.models import Call

CALLS = Call.__table__
# The columns of a call that webhooks read; the rest (last TwiML, timestamps) stays in the DB.
CALL_COLUMNS = ("id", "call_sid", "turn", "state", "flow_name", "flow_revision", "caller_phone",
                "customer_id", "events", "queue", "queued_at", "answered_at", "outcome",
                "to_number")
# Columns a turn may write besides its number; `_claim` names its parameters after them.
TURN_COLUMNS = frozenset(("state", "last_twiml", "flow_name", "flow_revision", "updated_at",
                          "events", "customer_id", "outcome", "queue", "queued_at",
                          "answered_at"))

_LOAD = select(*(CALLS.c[name] for name in CALL_COLUMNS)).where(
    CALLS.c.call_sid == bindparam("sid"))
_LAST_TWIML = select(CALLS.c.last_twiml).where(CALLS.c.call_sid == bindparam("sid"))
_INSERT = insert(CALLS)


@dataclass(frozen=True)
class CallFacts:
    """A call as a turn needs it, read in one narrow query."""

    id: int
    call_sid: str
    turn: int
    state: dict
    flow_name: str
    flow_revision: str
    caller_phone: str | None
    customer_id: int | None
    events: list = field(default_factory=list)
    queue: str | None = None
    queued_at: dt.datetime | None = None
    answered_at: dt.datetime | None = None
    outcome: str | None = None
    to_number: str | None = None        # our number the caller dialed


def load_call(conn: Connection, call_sid: str) -> CallFacts | None:
    row = conn.execute(_LOAD, {"sid": call_sid}).first()
    return CallFacts(*row) if row else None


def last_twiml(conn: Connection, call_sid: str) -> str | None:
    """What we answered the call's latest turn: replayed to duplicate and late requests."""
    return conn.execute(_LAST_TWIML, {"sid": call_sid}).scalar()


def insert_call(conn: Connection, values: dict) -> bool:
    """Store a new call; False when its CallSid is already stored (Twilio retried the request).

    After False, a transaction (not an autocommit connection) must be rolled back before reuse.
    """
    try:
        conn.execute(_INSERT, values)
    except IntegrityError:
        return False
    return True


def claim_turn(conn: Connection, call: CallFacts, values: dict) -> bool:
    """Write the next turn only if `call.turn` is still the current one; False if another
    request answered it first. One statement, so it is atomic even outside a transaction."""
    unknown = set(values) - TURN_COLUMNS
    if unknown:
        raise ValueError(f"A turn cannot write the call columns {sorted(unknown)!r}.")
    statement = _claim(tuple(sorted(values)))
    params = {f"new_{name}": value for name, value in values.items()}
    result = conn.execute(
        statement, {"call_id": call.id, "expected": call.turn, "next": call.turn + 1, **params})
    return result.rowcount == 1


@functools.cache
def _claim(columns: tuple[str, ...]):
    """One prebuilt guarded UPDATE per set of columns a turn writes (a handful in practice)."""
    return (update(CALLS)
            .where(CALLS.c.id == bindparam("call_id"), CALLS.c.turn == bindparam("expected"))
            .values(turn=bindparam("next"),
                    **{name: bindparam(f"new_{name}") for name in columns}))
