"""Walk a flow with the pure engine, replaying the supervisor's choices from the start each time.

Nothing is stored and no call is placed: the page sends its whole history with every click.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from ivr.flows import engine
from ivr.flows.actions import (
    DialOut,
    Gather,
    HangUp,
    JoinRoom,
    Note,
    PlayAudio,
    RecordMessage,
    Speak,
    ToQueue,
)
from ivr.flows.errors import FlowRuntimeError
from ivr.flows.model import Ask, Callback, Connect, Flow, Menu, Voicemail
from ivr.flows.state import CallState, DialResult, Input, QueueResult, Recorded, Start, World
from ivr.line_numbers import line_region, typed_number

MAX_MOVES = 50                       # a longer walk is someone holding a key down
MOVE = re.compile(r"^(?:[0-9*#]{0,20}|speech:.{1,200}|answered|no-answer|recorded)$")
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


@dataclass(frozen=True)
class Setup:
    """Who calls, when, in which language; what the caller database would say about them."""

    at: dt.datetime
    caller: str = "+819012345678"
    name: str = ""                   # a known customer's name; empty: unknown caller
    open_ticket: bool = False
    language: str = ""               # empty: the flow's own


@dataclass
class Line:
    kind: str                        # say, play, wait, transfer, record, hangup, step, choice
    text: str
    language: str = ""


@dataclass
class Walk:
    """What the caller heard, move by move, and what the waiting step accepts next."""

    lines: list[Line] = field(default_factory=list)
    waiting: str | None = None       # the step waiting for the caller
    accepts: str = ""                # keys | answer | transfer | recording | review | ended
    keys: tuple[str, ...] = ()       # menu keys (plus the repeat key)
    error: str | None = None


def parse_moves(raw: Sequence[str]) -> list[str]:
    """The history from the page: each move a key string, speech:TEXT, or a far-end outcome."""
    moves = [m for m in raw if MOVE.match(m)]
    if len(moves) != len(raw):
        bad = next(m for m in raw if not MOVE.match(m))
        raise ValueError(f"{bad[:40]!r} is not a key press, speech:TEXT, answered, no-answer "
                         "or recorded.")
    return moves[:MAX_MOVES]


def caller_of(setup: Setup) -> dict:
    e164 = bool(E164.match(setup.caller))
    return {"known": bool(setup.name) and e164, "name": setup.name or None, "customer_id": None,
            "phone": setup.caller if e164 else None,
            "phone_kind": "e164" if e164 else "anonymous",
            "open_ticket_ids": [1] if setup.open_ticket and setup.name else []}


def walk(flow: Flow, flows: Mapping[str, Flow], setup: Setup, moves: Sequence[str]) -> Walk:
    """Run the flow from the start and apply each move in turn, collecting what is heard."""
    region = line_region(flow.numbers, "JP")
    world = World(now=setup.at, flows=flows,
                  normalize_phone=lambda digits: typed_number(digits, region))
    language = setup.language if setup.language in flow.languages else flow.language
    state = CallState(flow=flow.name, revision=flow.revision, language=language,
                      caller=caller_of(setup))
    result = Walk()
    current = flow
    try:
        turn = engine.advance(flow, state, Start(), world)
        _collect(result, turn)
        for move in moves:
            if turn.state.ended:
                break
            current = flows.get(turn.state.flow, flow)
            result.lines.append(Line("move", _describe(move)))
            turn = engine.advance(current, turn.state, _event(current, turn.state, move), world)
            _collect(result, turn)
    except (FlowRuntimeError, KeyError, ValueError) as exc:
        result.error = str(exc)
        return result
    _waiting(result, flows.get(turn.state.flow, current), turn.state)
    return result


def _describe(move: str) -> str:
    if move.startswith("speech:"):
        return f"says “{move[7:]}”"
    if move in ("answered", "no-answer", "recorded"):
        return move
    return f"presses {move}" if move else "stays silent"


def _event(flow: Flow, state: CallState, move: str):
    action = flow.steps[state.step].action if state.step in flow.steps else None
    special = MOVES.get(type(action))
    event = special(action, state, move) if special else None
    if event is not None:
        return event
    if move.startswith("speech:"):
        return Input(speech=move[7:])
    return Input(digits=move)


def _connect_move(action: Connect, state, move: str):
    answered = move == "answered"
    if action.kind == "queue":
        return QueueResult("bridged" if answered else "leave")
    return DialResult("completed" if answered else "no-answer")


def _voicemail_move(action: Voicemail, state, move: str):
    return Recorded(duration=8 if move == "recorded" else 0) if state.phase == "recording" \
        else None


# Moves that are not keys or speech: what the carrier reports for the waiting step.
MOVES = {Connect: _connect_move, Voicemail: _voicemail_move}


def _collect(result: Walk, turn) -> None:
    steps = [e.data["step"] for e in turn.effects if isinstance(e, Note) and e.kind == "step"]
    if steps:  # the engine reports steps apart from verbs: one line per turn keeps order honest
        result.lines.append(Line("step", " → ".join(steps)))
    for verb in turn.verbs:
        result.lines += _heard(verb)


def _heard(verb) -> list[Line]:
    return HEARD[type(verb)](verb)


# What the caller hears or meets, per verb.
HEARD = {
    Speak: lambda v: [Line("say", v.text, v.language)],
    PlayAudio: lambda v: [Line("play", v.url)],
    Gather: lambda v: [line for p in v.prompts for line in _heard(p)] + [Line("wait", "")],
    ToQueue: lambda v: [Line("transfer", f"queue {v.name}")],
    DialOut: lambda v: [Line("transfer", f"{v.kind} {v.target}")],
    JoinRoom: lambda v: [Line("transfer", "agent")],
    RecordMessage: lambda v: [Line("record", f"mailbox {v.mailbox}, up to {v.max_length}s")],
    HangUp: lambda v: [Line("hangup", "")],
}


def _waiting(result: Walk, flow: Flow, state: CallState) -> None:
    if state.ended or state.step is None:
        result.accepts = "ended"
        return
    result.waiting = state.step
    action = flow.steps[state.step].action
    result.accepts = ACCEPTS[type(action)](action, state)
    if isinstance(action, Menu):
        result.keys = tuple(action.options) + ((action.repeat_key,) if action.repeat_key else ())


# What the preview offers the supervisor next, per waiting step.
ACCEPTS = {
    Menu: lambda a, state: "keys", Ask: lambda a, state: "answer",
    Callback: lambda a, state: "answer", Connect: lambda a, state: "transfer",
    Voicemail: lambda a, state: "recording" if state.phase == "recording" else "review",
}


def at_time(flow: Flow, date: str, time: str, now: dt.datetime) -> dt.datetime:
    """The chosen date and time in the flow's time zone (default: now there)."""
    zone = ZoneInfo(flow.timezone)
    local = now.astimezone(zone)
    try:
        day = dt.date.fromisoformat(date) if date else local.date()
        clock = dt.time.fromisoformat(time) if time else local.time().replace(microsecond=0)
    except ValueError:
        raise ValueError(f"{date} {time}".strip() + " is not a date (YYYY-MM-DD) and time "
                         "(HH:MM).") from None
    return dt.datetime.combine(day, clock, tzinfo=zone)
