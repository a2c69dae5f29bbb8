"""Branch conditions are data evaluated here, never code: every given key must hold."""

from __future__ import annotations

import re

from ivr.flows.model import Condition, Flow
from ivr.flows.schedule import is_open
from ivr.flows.state import CallState, World


def holds(cond: Condition, flow: Flow, state: CallState, world: World) -> bool:
    return all(test(cond, flow, state, world) for test in _TESTS
               if getattr(cond, test.__name__.removeprefix("_")) is not None)


def _open(cond, flow, state, world) -> bool:
    return is_open(flow.hours[cond.open], world.now)


def _closed(cond, flow, state, world) -> bool:
    return not is_open(flow.hours[cond.closed], world.now)


def _caller(cond, flow, state, world) -> bool:
    known = bool(state.caller.get("known"))
    if cond.caller == "known":
        return known
    if cond.caller == "anonymous":
        return state.caller.get("phone_kind", "anonymous") != "e164"
    return not known


def _var(cond, flow, state, world) -> bool:
    value = str(state.vars.get(cond.var, ""))
    if cond.equals is not None:
        return value == cond.equals
    if cond.in_ is not None:
        return value in cond.in_
    return re.fullmatch(cond.matches, value) is not None


def _caller_has_open_ticket(cond, flow, state, world) -> bool:
    return bool(state.caller.get("open_ticket_ids")) == cond.caller_has_open_ticket


def _language(cond, flow, state, world) -> bool:
    return state.language == cond.language


_TESTS = (_open, _closed, _caller, _var, _caller_has_open_ticket, _language)
