"""The flow engine: (flow, call state, caller input, world) -> (verbs, effects, new state).

Pure: no I/O, no clock, no web framework. Steps that need no answer (say, play, set, branch,
goto_flow) run on at once; the engine stops at the first step that waits for the caller.
"""

from __future__ import annotations

from ivr.flows.actions import HangUp, Turn
from ivr.flows.answers import ANSWERS
from ivr.flows.errors import FlowRuntimeError
from ivr.flows.model import Flow
from ivr.flows.state import CallState, Event, Start, World
from ivr.flows.steps import Out, run

__all__ = ["advance", "run", "start"]


def start(flow: Flow, world: World, caller: dict) -> Turn:
    """A new call: run the flow from its start step."""
    state = CallState(flow=flow.name, revision=flow.revision, language=flow.language,
                      caller=dict(caller))
    return run(flow, state, world, flow.start, Out())


def advance(flow: Flow, state: CallState, event: Event, world: World) -> Turn:
    """The caller answered the waiting step: continue the call."""
    if state.ended:
        return Turn((HangUp(),), (), state)
    if isinstance(event, Start):
        return run(flow, state, world, flow.start, Out())
    step = flow.steps.get(state.step or "")
    if step is None:
        raise FlowRuntimeError(f"Call is waiting at step {state.step!r}, which flow "
                               f"{flow.name!r} revision {flow.revision} does not have.")
    handler = ANSWERS.get((type(step.action), type(event)))
    if handler is None:
        raise FlowRuntimeError(f"Step {step.name!r} ({type(step.action).__name__.lower()}) "
                               f"cannot take {type(event).__name__} input.")
    return handler(flow, state, step.name, step.action, event, world, Out())


