"""What the engine reads besides the flow: the call's state, the caller's input, the world."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ivr.flows.model import Flow


@dataclass(frozen=True)
class CallState:
    """Everything a call needs between webhooks; stored as JSON so any web process can resume."""

    flow: str
    revision: str
    language: str
    step: str | None = None      # the step waiting for the caller
    phase: str = ""              # sub-state of that step (voicemail review, callback entry, ...)
    attempts: int = 0            # failed tries at the waiting step (or the voicemail take)
    vars: Mapping[str, str] = field(default_factory=dict)
    caller: Mapping[str, Any] = field(default_factory=dict)  # the customer lookup, made once
    ended: bool = False

    def to_dict(self) -> dict:
        """Plain data for JSON; shallow, as the values already are (asdict deep-copies, slowly)."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["vars"], data["caller"] = dict(self.vars), dict(self.caller)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CallState:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def at(self, step: str | None, phase: str = "", attempts: int = 0) -> CallState:
        return replace(self, step=step, phase=phase, attempts=attempts)


# ---- caller input (events) -------------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    """The call has just arrived."""


@dataclass(frozen=True)
class Input:
    """A Gather finished: digits, speech, or nothing (both empty) when the caller said nothing."""

    digits: str = ""
    speech: str = ""
    confidence: float | None = None

    @property
    def empty(self) -> bool:
        return not self.digits and not self.speech.strip()


@dataclass(frozen=True)
class DialResult:
    """A <Dial> ended: completed, answered, busy, no-answer, failed or canceled."""

    status: str


@dataclass(frozen=True)
class QueueResult:
    """An <Enqueue> ended: bridged, hangup, leave, queue-full, error, system-error, redirected."""

    result: str


@dataclass(frozen=True)
class Recorded:
    """A <Record> ended (duration 0: nothing was recorded)."""

    duration: int
    digits: str = ""


@dataclass(frozen=True)
class Bridged:
    """An agent took the waiting caller: the caller is joined with them in `room`."""

    room: str


Event = Start | Input | DialResult | QueueResult | Recorded | Bridged


@dataclass(frozen=True)
class World:
    """Facts from outside the call: the time, the other flows, and how to read a phone number."""

    now: dt.datetime
    flows: Mapping[str, Flow] = field(default_factory=dict)
    normalize_phone: Callable[[str], str | None] = lambda digits: None
