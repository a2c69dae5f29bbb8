"""What the engine asks for: verbs for the caller (rendered as TwiML elsewhere) and side effects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ivr.flows.state import CallState

# ---- verbs: things the caller hears or does -------------------------------------------------


@dataclass(frozen=True)
class Speak:
    text: str
    language: str
    voice: str | None


@dataclass(frozen=True)
class PlayAudio:
    url: str          # http(s) URL, or a file name in the flows folder
    loop: int = 1


@dataclass(frozen=True)
class Gather:
    """Wait for keys and/or speech; the prompts play while waiting."""

    prompts: tuple[Speak | PlayAudio, ...]
    speech: bool
    timeout: int
    language: str
    num_digits: int | None = None
    finish_on_key: str = "#"
    hints: tuple[str, ...] = ()


@dataclass(frozen=True)
class DialOut:
    kind: str         # number | client | sip
    target: str
    record: bool
    timeout: int
    caller_id: str | None = None


@dataclass(frozen=True)
class ToQueue:
    """Put the caller in a queue to wait for the next agent the distributor offers them to."""

    name: str
    record: bool
    timeout: int
    max_wait: int
    hold_music: str | None = None
    language: str = ""
    voice: str | None = None
    priority: int = 0
    skills: tuple[tuple[str, int], ...] = ()   # (skill, least level), sorted: verbs are hashable


@dataclass(frozen=True)
class JoinRoom:
    """Connect the caller with the agent who took them: both legs meet in one room."""

    room: str
    record: bool


@dataclass(frozen=True)
class RecordMessage:
    mailbox: str
    take: int
    max_length: int
    finish_key: str
    silence_timeout: int


@dataclass(frozen=True)
class HangUp:
    pass


Verb = Speak | PlayAudio | Gather | DialOut | ToQueue | JoinRoom | RecordMessage | HangUp

# ---- effects: things the server must do ------------------------------------------------------


@dataclass(frozen=True)
class BookCallback:
    queue: str
    number: str


@dataclass(frozen=True)
class JoinQueue:
    """The caller starts waiting in a queue: the distributor keeps their place and needs."""

    queue: str
    priority: int
    skills: tuple[tuple[str, int], ...]
    max_wait: int
    record: bool = False


@dataclass(frozen=True)
class LeaveQueue:
    """The caller left the line without an agent (gave up, timed out, asked for a call-back)."""

    reason: str


@dataclass(frozen=True)
class DiscardTake:
    """The caller chose to re-record: this take of the voicemail is not the message."""

    mailbox: str
    take: int


@dataclass(frozen=True)
class Note:
    """A fact for the call's history and reports (step entered, menu choice, failed input...)."""

    kind: str
    data: Mapping[str, Any]


Effect = BookCallback | JoinQueue | LeaveQueue | DiscardTake | Note


@dataclass(frozen=True)
class Turn:
    """The engine's answer to one event."""

    verbs: tuple[Verb, ...]
    effects: tuple[Effect, ...]
    state: CallState
