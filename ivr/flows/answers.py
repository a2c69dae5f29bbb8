"""The caller's answers to a waiting step: keys, speech, a dial or queue result, a recording.

ANSWERS maps (action, kind of input) to the handler that continues the call.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from ivr.flows.actions import (
    BookCallback,
    DiscardTake,
    Gather,
    HangUp,
    JoinRoom,
    LeaveQueue,
    Note,
    Turn,
)
from ivr.flows.errors import FlowRuntimeError
from ivr.flows.model import (
    Ask,
    Callback,
    Connect,
    Menu,
    Voicemail,
)
from ivr.flows.phrases import phrase
from ivr.flows.prompts import (
    ask_gather,
    callback_gather,
    menu_gather,
    record,
    speak,
    speech_key,
)
from ivr.flows.state import Bridged, DialResult, Input, QueueResult, Recorded
from ivr.flows.steps import queue_verb, run

MAX_TAKES = 3        # voicemail re-recordings
ANSWERED = {"completed", "answered"}


# ---- menus and questions ---------------------------------------------------------------------


def _menu_input(flow, state, name, menu: Menu, event: Input, world, out) -> Turn:
    if menu.repeat_key and event.digits == menu.repeat_key:
        out.verbs.append(menu_gather(flow, state, menu))
        return out.turn(state)
    key = event.digits if event.digits in menu.options else speech_key(menu, event.speech)
    if key is not None:
        out.effects.append(Note("choice", {"step": name, "key": key, "by": "speech"
                                           if event.speech and not event.digits else "dtmf"}))
        return run(flow, state.at(None), world, menu.options[key], out)
    retry = (menu.no_input or phrase("no_input")) if event.empty else (
        menu.invalid or phrase("invalid"))
    return _retry(flow, state, name, menu, event, world, out, retry,
                  lambda: menu_gather(flow, state, menu, retry))


def _retry(flow, state, name, step, event, world, out, message, regather) -> Turn:
    """Count a failed try; ask again, or give up to the fallback after the last one."""
    attempts = state.attempts + 1
    out.effects.append(Note("input_failed", {"step": name, "attempt": attempts,
                                             "reason": "no_input" if event.empty else "invalid"}))
    if attempts >= step.attempts:
        out.effects.append(Note("gave_up", {"step": name}))
        return run(flow, state.at(None), world, step.fallback, out)
    state = state.at(name, state.phase, attempts)
    out.verbs.append(regather())
    return out.turn(state)


def _ask_input(flow, state, name, ask: Ask, event: Input, world, out) -> Turn:
    value = _answer(ask, event)
    if value is not None:
        out.effects.append(Note("answer", {"step": name, "var": ask.save_as}))
        state = replace(state.at(None), vars={**state.vars, ask.save_as: value})
        return run(flow, state, world, ask.next, out)
    retry = (ask.no_input or phrase("no_input")) if event.empty else (
        ask.invalid or phrase("invalid"))
    return _retry(flow, state, name, ask, event, world, out, retry,
                  lambda: ask_gather(flow, state, ask, retry))


def _answer(ask: Ask, event: Input) -> str | None:
    """The accepted answer, or None. Digits typed before a timeout count like finished ones."""
    if event.empty:
        return None
    if ask.speech and not event.digits:
        value = unicodedata.normalize("NFKC", event.speech).strip()
    else:
        value = event.digits.rstrip(ask.finish_on_key or "#")
        if not value.isdigit():
            return None
        if ask.digits_min is not None and not ask.digits_min <= len(value) <= ask.digits_max:
            return None
    if ask.pattern and re.fullmatch(ask.pattern, value) is None:
        return None
    return value


# ---- transfers -------------------------------------------------------------------------------


def _dial_result(flow, state, name, connect: Connect, event: DialResult, world, out) -> Turn:
    out.effects.append(Note("dial_result", {"step": name, "status": event.status}))
    if event.status in ANSWERED:
        return run(flow, state.at(None), world, connect.next, out)
    if connect.kind == "queue" and state.phase == "talking":
        # The agent was gone before the caller joined: back to the queue, place kept.
        out.verbs.append(queue_verb(flow, state, connect))
        return out.turn(state.at(name, "waiting"))
    return run(flow, state.at(None), world, connect.no_answer, out)


def _queue_result(flow, state, name, connect: Connect, event: QueueResult, world, out) -> Turn:
    out.effects.append(Note("queue_result", {"step": name, "result": event.result}))
    out.effects.append(LeaveQueue(event.result))
    if event.result == "bridged":
        return run(flow, state.at(None), world, connect.next, out)
    if event.result == "hangup":
        return out.turn(replace(state.at(None), ended=True))
    if event.result == "callback":  # the caller pressed the call-back key while waiting
        if state.caller.get("phone"):
            out.effects.append(BookCallback(connect.target, state.caller["phone"]))
        out.verbs += [speak(flow, state, phrase("callback_done")), HangUp()]
        return out.turn(replace(state.at(None), ended=True))
    return run(flow, state.at(None), world, connect.no_answer, out)


def _bridged(flow, state, name, connect: Connect, event: Bridged, world, out) -> Turn:
    """The distributor's agent answered: the caller leaves the queue to join them."""
    out.effects.append(Note("bridged", {"step": name, "room": event.room}))
    out.verbs.append(JoinRoom(event.room, connect.record))
    return out.turn(state.at(name, "talking"))


# ---- voicemail -------------------------------------------------------------------------------


def _recorded(flow, state, name, vm: Voicemail, event: Recorded, world, out) -> Turn:
    if event.duration <= 0:
        out.verbs.append(speak(flow, state, phrase("voicemail_empty")))
        return run(flow, state.at(None), world, vm.next, out)
    out.effects.append(Note("voicemail", {"mailbox": vm.mailbox, "take": state.attempts,
                                          "duration": event.duration}))
    if not vm.review or state.attempts >= MAX_TAKES:
        return _saved(flow, state, vm, world, out)
    out.verbs.append(Gather((speak(flow, state, phrase("voicemail_review")),), speech=False,
                            timeout=5, language=state.language, num_digits=1))
    return out.turn(state.at(name, "review", state.attempts))


def _review(flow, state, name, vm: Voicemail, event: Input, world, out) -> Turn:
    if event.digits == "2":
        take = state.attempts + 1
        out.effects.append(DiscardTake(vm.mailbox, state.attempts))
        out.verbs += [speak(flow, state, phrase("voicemail_again")), record(vm, take)]
        return out.turn(state.at(name, "recording", take))
    return _saved(flow, state, vm, world, out)  # 1, or nothing: hanging up or waiting saves


def _saved(flow, state, vm: Voicemail, world, out) -> Turn:
    out.verbs.append(speak(flow, state, vm.saved or phrase("voicemail_saved")))
    return run(flow, state.at(None), world, vm.next, out)


def _voicemail_input(flow, state, name, vm, event, world, out) -> Turn:
    if state.phase == "review":
        return _review(flow, state, name, vm, event, world, out)
    raise FlowRuntimeError(f"Voicemail step {name!r} got keys while {state.phase or 'idle'}.")


# ---- callbacks -------------------------------------------------------------------------------


def _callback_input(flow, state, name, cb: Callback, event: Input, world, out) -> Turn:
    if state.phase == "confirm" and event.digits in ("1", "2"):
        if event.digits == "1":
            return _booked(flow, state, cb, str(state.caller["phone"]), world, out)
        out.verbs.append(callback_gather(flow, state, cb, "enter"))
        return out.turn(state.at(name, "enter", state.attempts))
    if state.phase == "enter" and not event.empty:
        number = world.normalize_phone(event.digits.rstrip("#"))
        if number:
            return _booked(flow, state, cb, number, world, out)
    retry = phrase("no_input") if event.empty else phrase("invalid")
    return _retry(flow, state, name, cb, event, world, out, retry,
                  lambda: callback_gather(flow, state, cb, state.phase, retry))


def _booked(flow, state, cb: Callback, number: str, world, out) -> Turn:
    out.effects.append(BookCallback(cb.queue, number))
    out.verbs.append(speak(flow, state, cb.done or phrase("callback_done")))
    return run(flow, state.at(None), world, cb.next, out)


ANSWERS = {
    (Menu, Input): _menu_input,
    (Ask, Input): _ask_input,
    (Connect, DialResult): _dial_result,
    (Connect, QueueResult): _queue_result,
    (Connect, Bridged): _bridged,
    (Voicemail, Recorded): _recorded,
    (Voicemail, Input): _voicemail_input,
    (Callback, Input): _callback_input,
}
