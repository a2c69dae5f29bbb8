"""The flow engine: (flow, call state, caller input, world) -> (verbs, effects, new state).

Pure: no I/O, no clock, no web framework. Steps that need no answer (say, play, set, branch,
goto_flow) run on at once; the engine stops at the first step that waits for the caller.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from ivr.flows.actions import (
    BookCallback,
    DialOut,
    DiscardTake,
    Gather,
    HangUp,
    Note,
    PlayAudio,
    ToQueue,
    Turn,
)
from ivr.flows.conditions import holds
from ivr.flows.errors import FlowRuntimeError
from ivr.flows.model import (
    Ask,
    Branch,
    Callback,
    Connect,
    Flow,
    GotoFlow,
    Hangup,
    Menu,
    Play,
    Say,
    SetVars,
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
    spoken_caller,
)
from ivr.flows.state import CallState, DialResult, Event, Input, QueueResult, Recorded, Start, World
from ivr.flows.text import render

MAX_HOPS = 64        # steps run in one turn before we call it a loop
MAX_TAKES = 3        # voicemail re-recordings
ANSWERED = {"completed", "answered"}


class _Out:
    """Verbs and effects collected during one turn."""

    def __init__(self):
        self.verbs: list = []
        self.effects: list = []

    def turn(self, state: CallState) -> Turn:
        return Turn(tuple(self.verbs), tuple(self.effects), state)


def start(flow: Flow, world: World, caller: dict) -> Turn:
    """A new call: run the flow from its start step."""
    state = CallState(flow=flow.name, revision=flow.revision, language=flow.language,
                      caller=dict(caller))
    return run(flow, state, world, flow.start, _Out())


def advance(flow: Flow, state: CallState, event: Event, world: World) -> Turn:
    """The caller answered the waiting step: continue the call."""
    if state.ended:
        return Turn((HangUp(),), (), state)
    if isinstance(event, Start):
        return run(flow, state, world, flow.start, _Out())
    step = flow.steps.get(state.step or "")
    if step is None:
        raise FlowRuntimeError(f"Call is waiting at step {state.step!r}, which flow "
                               f"{flow.name!r} revision {flow.revision} does not have.")
    handler = _HANDLERS.get((type(step.action), type(event)))
    if handler is None:
        raise FlowRuntimeError(f"Step {step.name!r} ({type(step.action).__name__.lower()}) "
                               f"cannot take {type(event).__name__} input.")
    return handler(flow, state, step.name, step.action, event, world, _Out())


def run(flow: Flow, state: CallState, world: World, name: str | None, out: _Out) -> Turn:
    """Run steps from `name` until one waits for the caller; None hangs up."""
    for _ in range(MAX_HOPS):
        if name is None:
            out.verbs.append(HangUp())
            return out.turn(replace(state.at(None), ended=True))
        step = flow.steps[name]
        out.effects.append(Note("step", {"flow": flow.name, "step": name}))
        action = step.action
        if isinstance(action, Say):
            out.verbs.append(speak(flow, state, action.text))
            name = action.next
        elif isinstance(action, Play):
            out.verbs.append(PlayAudio(action.url, action.loop))
            name = action.next
        elif isinstance(action, SetVars):
            state = _set(flow, state, action, out)
            name = action.next
        elif isinstance(action, Branch):
            name = next(r.goto for r in action.rules
                        if r.when is None or holds(r.when, flow, state, world))
        elif isinstance(action, GotoFlow):
            flow, state, name = _switch_flow(flow, state, action, world, out)
        elif isinstance(action, Hangup):
            name = None
        else:
            return _enter(flow, state, name, action, out)
    raise FlowRuntimeError(f"Flow {flow.name!r} ran {MAX_HOPS} steps without waiting for the "
                           f"caller (last step {name!r}).")


def _enter(flow, state, name, action, out) -> Turn:
    """Start a step that waits: menu, ask, connect, voicemail, callback."""
    state = state.at(name)
    if isinstance(action, Menu):
        out.verbs.append(menu_gather(flow, state, action))
    elif isinstance(action, Ask):
        out.verbs.append(ask_gather(flow, state, action))
    elif isinstance(action, Connect):
        _connect(flow, state, action, out)
    elif isinstance(action, Voicemail):
        out.verbs += [speak(flow, state, action.prompt or phrase("voicemail_prompt")),
                      record(action, take=1)]
        state = state.at(name, "recording", 1)
    elif isinstance(action, Callback):
        phone_known = state.caller.get("phone_kind") == "e164" and state.caller.get("phone")
        phase = "confirm" if phone_known else "enter"
        out.verbs.append(callback_gather(flow, state, action, phase))
        state = state.at(name, phase)
    return out.turn(state)


# ---- speaking --------------------------------------------------------------------------------


def _set(flow, state, action: SetVars, out) -> CallState:
    values = {k: render(v, spoken_caller(state), state.vars) for k, v in action.values.items()}
    language = values.pop("language", state.language)
    if language != state.language:
        out.effects.append(Note("language", {"from": state.language, "to": language}))
    return replace(state, language=language, vars={**state.vars, **values})


def _switch_flow(flow, state, action: GotoFlow, world: World, out):
    target = world.flows.get(action.flow)
    if target is None:
        raise FlowRuntimeError(f"goto_flow names flow {action.flow!r}, which is not loaded.")
    language = state.language if state.language in target.languages else target.language
    out.effects.append(Note("flow", {"from": flow.name, "to": target.name}))
    state = replace(state, flow=target.name, revision=target.revision, language=language)
    return target, state, action.step or target.start


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


def _connect(flow, state, connect: Connect, out, *, offer_agents: bool = True) -> None:
    if connect.record:
        out.verbs.append(speak(flow, state, flow.recording_notice or phrase("recording_notice")))
    if connect.kind == "queue":
        out.verbs.append(ToQueue(connect.target, connect.record, connect.timeout,
                                 connect.max_wait, offer_agents, connect.hold_music,
                                 state.language, flow.voice_for(state.language)))
    else:
        out.verbs.append(DialOut(connect.kind, connect.target, connect.record, connect.timeout,
                                 connect.caller_id))
    out.effects.append(Note("connect", {"kind": connect.kind, "target": connect.target}))


def _dial_result(flow, state, name, connect: Connect, event: DialResult, world, out) -> Turn:
    out.effects.append(Note("dial_result", {"step": name, "status": event.status}))
    if event.status in ANSWERED:
        return run(flow, state.at(None), world, connect.next, out)
    if connect.kind == "queue" and state.phase != "waiting":
        # Offered agents did not pick up: wait in the queue for the next free one.
        out.verbs.append(ToQueue(connect.target, connect.record, connect.timeout,
                                 connect.max_wait, False, connect.hold_music, state.language,
                                 flow.voice_for(state.language)))
        return out.turn(state.at(name, "waiting"))
    return run(flow, state.at(None), world, connect.no_answer, out)


def _queue_result(flow, state, name, connect: Connect, event: QueueResult, world, out) -> Turn:
    out.effects.append(Note("queue_result", {"step": name, "result": event.result}))
    if event.result == "bridged":
        return run(flow, state.at(None), world, connect.next, out)
    if event.result == "hangup":
        return out.turn(replace(state.at(None), ended=True))
    return run(flow, state.at(None), world, connect.no_answer, out)


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


_HANDLERS = {
    (Menu, Input): _menu_input,
    (Ask, Input): _ask_input,
    (Connect, DialResult): _dial_result,
    (Connect, QueueResult): _queue_result,
    (Voicemail, Recorded): _recorded,
    (Voicemail, Input): _voicemail_input,
    (Callback, Input): _callback_input,
}
