"""What the telephony feature announces: calls arriving, queued, offered, answered and ended.

All are live: desks pop the caller's record on `call.offered`/`call.answered`, dashboards
refresh on every one. Published by the call service's replies once the call row is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.events import Event


@dataclass(frozen=True)
class CallArrived(Event):
    """A call reached a flow; `caller` is the customer lookup made for it."""

    kind = "call.arrived"
    live = True
    call_sid: str
    from_: str
    to: str
    flow: str
    caller: Mapping[str, Any] = field(default_factory=dict)

    def data(self) -> dict:
        return {"call_sid": self.call_sid, "from": self.from_, "to": self.to,
                "flow": self.flow, "caller": self.caller}


@dataclass(frozen=True)
class CallQueued(Event):
    kind = "call.queued"
    live = True
    call_sid: str
    queue: str
    caller: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CallOffered(Event):
    """These agents' phones ring with the call."""

    kind = "call.offered"
    live = True
    call_sid: str
    queue: str
    agents: Sequence[str]
    caller: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CallAnswered(Event):
    kind = "call.answered"
    live = True
    call_sid: str
    agent: str
    queue: str | None
    caller: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CallEnded(Event):
    kind = "call.ended"
    live = True
    call_sid: str
    outcome: str | None
    queue: str | None
    agent: str | None
    duration: int | None
