"""Flows as frozen dataclasses: what the parser builds once and the engine reads on every step."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Union

# ---- text ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """Words to speak: one text, or one per language (`{ja-JP: ..., en-US: ...}`)."""

    by_language: Mapping[str, str]  # "" holds a text given without a language

    def pick(self, language: str, fallback: str) -> tuple[str, str]:
        """The text for the call's language, else the flow's, else any; with its language."""
        for lang in (language, fallback):
            if lang in self.by_language:
                return self.by_language[lang], lang
        if "" in self.by_language:
            return self.by_language[""], language
        lang, text = next(iter(self.by_language.items()))
        return text, lang


# ---- conditions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """All given keys must hold (an `if:` mapping); absent keys are not checked."""

    open: str | None = None                  # schedule name: open now
    closed: str | None = None                # schedule name: closed now
    caller: str | None = None                # known | unknown | anonymous
    var: str | None = None                   # variable name, with equals / in / matches
    equals: str | None = None
    in_: tuple[str, ...] | None = None
    matches: str | None = None
    caller_has_open_ticket: bool | None = None
    language: str | None = None              # the call's current language


@dataclass(frozen=True)
class Rule:
    goto: str
    when: Condition | None  # None: the final, unconditional rule


# ---- schedules ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeRange:
    start: dt.time
    end_minutes: int  # minutes after the start day's midnight; > 1440 runs past midnight

    @property
    def start_minutes(self) -> int:
        return self.start.hour * 60 + self.start.minute


@dataclass(frozen=True)
class Schedule:
    """Opening hours by weekday, with closed dates, special dates and public holidays."""

    name: str
    timezone: str
    weekly: Mapping[int, tuple[TimeRange, ...]]          # 0 = Monday
    closed_on: frozenset[str] = frozenset()             # "YYYY-MM-DD" or every year "MM-DD"
    closed_ranges: tuple[tuple[str, str], ...] = ()       # inclusive; dates or MM-DD (may wrap)
    special: Mapping[str, tuple[TimeRange, ...]] = field(default_factory=dict)  # date -> hours
    holidays: str | None = None                          # country code, e.g. "JP"


# ---- steps --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Say:
    text: Text
    next: str


@dataclass(frozen=True)
class Play:
    url: str            # absolute http(s) URL, or a file name inside the flows folder
    next: str
    loop: int = 1


@dataclass(frozen=True)
class Menu:
    prompt: Text
    options: Mapping[str, str]           # key pressed -> step
    speech: Mapping[str, str] = field(default_factory=dict)  # phrase -> key
    timeout: int = 5
    attempts: int = 3
    no_input: Text | None = None
    invalid: Text | None = None
    fallback: str | None = None          # after the last failed attempt; None hangs up
    repeat_key: str | None = None        # e.g. "*": hear the prompt again without using a try


@dataclass(frozen=True)
class Ask:
    prompt: Text
    save_as: str
    next: str
    digits_min: int | None = None        # digits mode when set
    digits_max: int | None = None
    speech: bool = False
    pattern: str | None = None
    finish_on_key: str = "#"
    timeout: int = 5
    attempts: int = 3
    no_input: Text | None = None
    invalid: Text | None = None
    fallback: str | None = None


@dataclass(frozen=True)
class Branch:
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class SetVars:
    values: Mapping[str, str]            # "language" switches the call's language
    next: str


@dataclass(frozen=True)
class Connect:
    kind: str                            # queue | number | client | sip
    target: str
    record: bool = False
    timeout: int = 30                    # ring time for number/client/sip/agents
    max_wait: int = 300                  # seconds in a queue before no_answer
    no_answer: str | None = None
    next: str | None = None              # after a completed conversation; None hangs up
    caller_id: str | None = None
    hold_music: str | None = None
    priority: int = 0                    # queue: higher is offered first
    skills: Mapping[str, int] = field(default_factory=dict)  # queue: skill -> least level


@dataclass(frozen=True)
class Voicemail:
    mailbox: str
    prompt: Text | None
    next: str | None = None
    max_length: int = 120
    finish_key: str = "#"
    silence_timeout: int = 5
    review: bool = True                  # offer "1 to save, 2 to re-record"
    saved: Text | None = None


@dataclass(frozen=True)
class Callback:
    queue: str
    next: str | None = None
    confirm: Text | None = None          # "we will call you on {caller.phone}; 1 yes, 2 another"
    enter: Text | None = None            # "type your number, then #"
    done: Text | None = None
    attempts: int = 3
    fallback: str | None = None


@dataclass(frozen=True)
class GotoFlow:
    flow: str
    step: str | None = None


@dataclass(frozen=True)
class Hangup:
    pass


Action = Union[Say, Play, Menu, Ask, Branch, SetVars, Connect, Voicemail, Callback, GotoFlow,
               Hangup]


@dataclass(frozen=True)
class Step:
    name: str
    action: Action


@dataclass(frozen=True)
class Flow:
    """One flow file, parsed and validated."""

    name: str
    path: str
    revision: str                       # content hash: calls in progress keep theirs
    language: str
    languages: tuple[str, ...]          # offered languages; the first is `language`
    voices: Mapping[str, str]           # language -> Twilio voice
    timezone: str
    start: str
    steps: Mapping[str, Step]
    numbers: tuple[str, ...] = ()
    default: bool = False
    hours: Mapping[str, Schedule] = field(default_factory=dict)
    recording_notice: Text | None = None
    on_error: str | None = None         # step to run after an internal failure
    description: str = ""
    # Where each key path sits in the file, for problems found across flows (not compared).
    positions: Mapping[tuple, tuple[int, int]] = field(default_factory=dict, compare=False,
                                                        repr=False)

    def where(self, *path) -> tuple[int, int]:
        """Line and column of a key path in this flow's file (nearest located ancestor)."""
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return (1, 1)

    def voice_for(self, language: str) -> str | None:
        """The flow's voice for a language; None lets Twilio pick its default for it."""
        return self.voices.get(language)
