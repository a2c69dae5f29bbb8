"""Running a flow's steps: those that run at once and those that start waiting for the caller.

One table per concern: RUN holds the steps that run at once (say, play, set, branch,
goto_flow, hangup), ENTER those that wait (menu, ask, connect, voicemail, callback). A new
action is one entry here, and one in ivr.flows.answers if it takes the caller's input.
"""

from __future__ import annotations

from dataclasses import replace

from ivr.flows.actions import (
    DialOut,
    HangUp,
    JoinQueue,
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
    spoken_caller,
)
from ivr.flows.state import CallState, World
from ivr.flows.text import render

MAX_HOPS = 64        # steps run in one turn before we call it a loop


class Out:
    """Verbs and effects collected during one turn."""

    def __init__(self):
        self.verbs: list = []
        self.effects: list = []

    def turn(self, state: CallState) -> Turn:
        return Turn(tuple(self.verbs), tuple(self.effects), state)


def run(flow: Flow, state: CallState, world: World, name: str | None, out: Out) -> Turn:
    """Run steps from `name` until one waits for the caller; None hangs up."""
    for _ in range(MAX_HOPS):
        if name is None:
            out.verbs.append(HangUp())
            return out.turn(replace(state.at(None), ended=True))
        step = flow.steps[name]
        out.effects.append(Note("step", {"flow": flow.name, "step": name}))
        instant = RUN.get(type(step.action))
        if instant is None:
            return _enter(flow, state, name, step.action, out)
        flow, state, name = instant(flow, state, step.action, world, out)
    raise FlowRuntimeError(f"Flow {flow.name!r} ran {MAX_HOPS} steps without waiting for the "
                           f"caller (last step {name!r}).")


def _enter(flow, state, name, action, out) -> Turn:
    """Start a step that waits: menu, ask, connect, voicemail, callback."""
    return out.turn(ENTER[type(action)](flow, state.at(name), name, action, out))


# ---- steps that run at once: (flow, state, action, world, out) -> (flow, state, next step) ------

def _say(flow, state, action: Say, world, out):
    out.verbs.append(speak(flow, state, action.text))
    return flow, state, action.next


def _play(flow, state, action: Play, world, out):
    out.verbs.append(PlayAudio(action.url, action.loop))
    return flow, state, action.next


def _set_step(flow, state, action: SetVars, world, out):
    return flow, _set(flow, state, action, out), action.next


def _branch(flow, state, action: Branch, world, out):
    return flow, state, next(r.goto for r in action.rules
                             if r.when is None or holds(r.when, flow, state, world))


def _hangup(flow, state, action: Hangup, world, out):
    return flow, state, None


# ---- steps that wait: (flow, state at the step, name, action, out) -> state ----------------------

def _enter_menu(flow, state, name, action: Menu, out) -> CallState:
    out.verbs.append(menu_gather(flow, state, action))
    return state


def _enter_ask(flow, state, name, action: Ask, out) -> CallState:
    out.verbs.append(ask_gather(flow, state, action))
    return state


def _enter_connect(flow, state, name, action: Connect, out) -> CallState:
    connect_verbs(flow, state, action, out)
    return state


def _enter_voicemail(flow, state, name, action: Voicemail, out) -> CallState:
    out.verbs += [speak(flow, state, action.prompt or phrase("voicemail_prompt")),
                  record(action, take=1)]
    return state.at(name, "recording", 1)


def _enter_callback(flow, state, name, action: Callback, out) -> CallState:
    phone_known = state.caller.get("phone_kind") == "e164" and state.caller.get("phone")
    phase = "confirm" if phone_known else "enter"
    out.verbs.append(callback_gather(flow, state, action, phase))
    return state.at(name, phase)


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


def queue_verb(flow, state, connect: Connect) -> ToQueue:
    """Put the caller in the connect step's queue, with its priority and skills."""
    return ToQueue(connect.target, connect.record, connect.timeout, connect.max_wait,
                   connect.hold_music, state.language, flow.voice_for(state.language),
                   connect.priority, tuple(sorted(connect.skills.items())))


def connect_verbs(flow, state, connect: Connect, out) -> None:
    if connect.record:
        out.verbs.append(speak(flow, state, flow.recording_notice or phrase("recording_notice")))
    if connect.kind == "queue":
        verb = queue_verb(flow, state, connect)
        out.verbs.append(verb)
        out.effects.append(JoinQueue(verb.name, verb.priority, verb.skills, verb.max_wait,
                                     verb.record))
    else:
        out.verbs.append(DialOut(connect.kind, connect.target, connect.record, connect.timeout,
                                 connect.caller_id))
    out.effects.append(Note("connect", {"kind": connect.kind, "target": connect.target}))


RUN = {Say: _say, Play: _play, SetVars: _set_step, Branch: _branch, GotoFlow: _switch_flow,
       Hangup: _hangup}
ENTER = {Menu: _enter_menu, Ask: _enter_ask, Connect: _enter_connect,
         Voicemail: _enter_voicemail, Callback: _enter_callback}
