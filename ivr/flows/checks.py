"""Whole-flow checks that need every step: targets, reachability, exits, loops, languages."""

from __future__ import annotations

import difflib
import re
from typing import Any

import phonenumbers

from ivr.flows import grammar, text
from ivr.flows.fields import BAD, Checker
from ivr.flows.model import (
    Ask,
    Branch,
    Callback,
    Condition,
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

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
# Steps that end the call or hand it elsewhere: a menu must be able to reach one.
EXITS = (Hangup, GotoFlow, Connect, Voicemail, Callback)
# Steps that run without waiting for the caller: a cycle of these never ends.
INSTANT = (Say, Play, SetVars, Branch)

# The steps each action can lead to (within its flow): one entry per action.
SUCCESSORS = {
    Say: lambda a: [a.next],
    Play: lambda a: [a.next],
    SetVars: lambda a: [a.next],
    Menu: lambda a: [*a.options.values(), *filter(None, [a.fallback])],
    Ask: lambda a: [a.next, *filter(None, [a.fallback])],
    Branch: lambda a: [rule.goto for rule in a.rules],
    Connect: lambda a: list(filter(None, [a.no_answer, a.next])),
    Voicemail: lambda a: list(filter(None, [a.next])),
    Callback: lambda a: list(filter(None, [a.next, a.fallback])),
    GotoFlow: lambda a: [],
    Hangup: lambda a: [],
}


def successors(action) -> list[str]:
    """The steps an action can lead to."""
    return SUCCESSORS[type(action)](action)


def check_flow(flow: Flow, c: Checker) -> None:
    _targets(flow, c)
    _texts(flow, c)
    for i, number in enumerate(flow.numbers):
        e164(c, ("numbers", i), number)
    for path, name in _schedule_refs(flow, c):
        if name not in flow.hours:
            c.error(path, f"no schedule named {name!r} in hours"
                          + _suggest(name, flow.hours))
    if c.declared == set(flow.steps) and all(name in flow.steps for _, name in c.step_refs):
        _unreachable(flow, c)
        _no_exit(flow, c)
        _instant_loops(flow, c)


def _targets(flow: Flow, c: Checker) -> None:
    for path, name in c.step_refs:
        if name not in c.declared:
            c.error(path, f"no step named {name!r}" + _suggest(name, flow.steps))


def _suggest(name: str, names) -> str:
    hint = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    return f"; did you mean {hint[0]!r}?" if hint else ""


def _texts(flow: Flow, c: Checker) -> None:
    for path, item in c.texts:
        by_language = item.by_language
        if "" not in by_language and flow.language not in by_language:
            c.error(path, f"text has no {flow.language} version (the flow's language); it has "
                          f"{', '.join(by_language)}")
        for words in by_language.values():
            for bad in text.unknown_placeholders(words):
                c.error(path, f"unknown placeholder {bad}; use {{caller.name}}, "
                              "{caller.phone}, {caller.id} or {vars.NAME}")


def _schedule_refs(flow: Flow, c: Checker):
    for name, step in flow.steps.items():
        if isinstance(step.action, Branch):
            for i, rule in enumerate(step.action.rules):
                for key in ("open", "closed"):
                    value = getattr(rule.when, key, None) if rule.when else None
                    if value:
                        yield ("steps", name, "branch", i, "if", key), value


def reach(flow: Flow, start: str, next_of=successors) -> set[str]:
    """Steps reachable from `start`, following `next_of(action)`."""
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen or name not in flow.steps:
            continue
        seen.add(name)
        todo += next_of(flow.steps[name].action)
    return seen


def _unreachable(flow: Flow, c: Checker) -> None:
    roots = [flow.start, *filter(None, [flow.on_error])]
    seen = set().union(*(reach(flow, root) for root in roots))
    for name in flow.steps:
        if name not in seen:
            c.error(("steps", name), f"step {name!r} is unreachable from start "
                                     f"{flow.start!r}", at_key=True)


def _no_exit(flow: Flow, c: Checker) -> None:
    for name, step in flow.steps.items():
        if isinstance(step.action, Menu):
            if not any(isinstance(flow.steps[s].action, EXITS) for s in reach(flow, name)):
                c.error(("steps", name), f"menu {name!r} has no exit: no option leads to a "
                                         "hang-up, transfer, voicemail, callback or another flow",
                        at_key=True)


def _instant_loops(flow: Flow, c: Checker) -> None:
    """Cycles made only of steps that never wait for the caller would spin forever."""
    instant = {n for n, s in flow.steps.items() if isinstance(s.action, INSTANT)}
    reported: set[frozenset] = set()
    for name in sorted(instant):
        path = _cycle_from(flow, name, instant)
        if path and frozenset(path) not in reported:
            reported.add(frozenset(path))
            c.error(("steps", name), "steps " + " → ".join([*path, path[0]]) + " loop without "
                                     "waiting for the caller", at_key=True)


def _cycle_from(flow: Flow, start: str, instant: set[str]) -> list[str] | None:
    stack = [(start, [start])]
    while stack:
        name, path = stack.pop()
        for nxt in successors(flow.steps[name].action):
            if nxt == start:
                return path
            if nxt in instant and nxt not in path:
                stack.append((nxt, path + [nxt]))
    return None


def condition(c: Checker, path: tuple, value: Any, languages) -> Condition | None:
    checked = c.object(value, grammar.CONDITION, path, "if")
    if value is not BAD and isinstance(value, dict) and not value:
        c.error(path, "an `if` needs at least one condition")
    tests = [k for k in ("equals", "in", "matches") if k in checked]
    if "var" in checked and len(tests) != 1:
        c.error(path, "`var` needs exactly one of equals, in or matches")
    if tests and "var" not in checked:
        c.error(path, f"{tests[0]} needs `var` (which variable to test)")
    if "matches" in checked:
        regex(c, path + ("matches",), checked["matches"])
    if "language" in checked and checked["language"] not in languages:
        c.error(path + ("language",), f"language {checked['language']!r} is not offered by this "
                                      f"flow (languages: {', '.join(languages)})")
    return Condition(open=checked.get("open"), closed=checked.get("closed"),
                     caller=checked.get("caller"), var=checked.get("var"),
                     equals=checked.get("equals"),
                     in_=tuple(checked["in"]) if "in" in checked else None,
                     matches=checked.get("matches"),
                     caller_has_open_ticket=checked.get("caller_has_open_ticket"),
                     language=checked.get("language"))


def regex(c: Checker, path: tuple, pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        c.error(path, f"{pattern!r} is not a valid regular expression ({exc})")


def e164(c: Checker, path: tuple, number: Any) -> None:
    """Numbers in flows are written as E.164 (+81312345678) and must be real numbers."""
    if not isinstance(number, str) or not E164.match(number):
        c.error(path, f"{number!r} is not an E.164 number (write it like +81312345678)")
        return
    try:
        valid = phonenumbers.is_valid_number(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        valid = False
    if not valid:
        c.error(path, f"{number!r} is not a valid phone number")
