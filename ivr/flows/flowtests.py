"""Scripted test calls beside the flows (flows/tests/*.yaml): their format, verdicts and coverage.

Pure: reading the files and judging what a call heard. Playing the calls through the webhooks
is ivr/flowtest_runner.py's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ivr.flows.errors import FlowError, Problem
from ivr.flows.fields import Checker
from ivr.flows.grammar import f
from ivr.flows.model import Flow, Menu
from ivr.flows.parse import load_flow_yaml

EXPECT = {
    "hears": f("list", "phrases the caller hears, in this order (each a part of one <Say>)",
               item=f("string")),
    "not_hears": f("list", "phrases the caller must not hear", item=f("string")),
    "steps": f("list", "steps the call passes, in this order (others may come between)",
               item=f("string")),
    "ends_at": f("string", "the last step the call enters (its destination)"),
    "outcome": f("string", "how the call ended",
                 choices=("agent", "voicemail", "callback", "transferred", "ivr",
                          "abandoned_ivr", "abandoned_queue", "missed")),
    "queue": f("string", "the queue the call was put through to"),
}
CALL = {
    "name": f("string", "what this call checks", required=True),
    "from": f("string", "caller's number as Twilio sends it (+819012345678, anonymous)",
              required=True),
    "to": f("string", "called number (default: the flow's first number)"),
    "flow": f("string", "flow this call tests (default: the file's flow)"),
    "at": f("string", "time of the call, ISO 8601; without an offset, in the flow's time zone"),
    "caller_name": f("string", "make the caller a known customer with this name"),
    "open_ticket": f("string", "give the caller an open ticket with this subject (known too)"),
    "inputs": f("list", "caller input per prompt: digits, speech:TEXT, or '' for silence",
                item=f("string")),
    "dial": f("string", "how transfers end", choices=("completed", "no-answer", "busy",
                                                     "failed")),
    "queue_answer": f("int", "seconds into a queue wait until an agent becomes free (and answers)", minimum=0,
                      maximum=3600),
    "message_seconds": f("int", "length of a voicemail the caller leaves", minimum=0,
                         maximum=3600),
    "expect": f("object", "what must happen", required=True, fields=EXPECT),
}
FILE = {
    "flow": f("string", "flow these calls test (its name)"),
    "calls": f("list", "the scripted calls", required=True, item=f("any")),
}


@dataclass(frozen=True)
class Expect:
    hears: tuple[str, ...] = ()
    not_hears: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    ends_at: str | None = None
    outcome: str | None = None
    queue: str | None = None


@dataclass(frozen=True)
class ScriptedCall:
    name: str
    where: str               # path:line, for the report
    caller: str
    expect: Expect
    flow: str | None = None
    to: str | None = None
    at: str | None = None
    caller_name: str | None = None
    open_ticket: str | None = None
    inputs: tuple[str, ...] = ()
    dial: str = "no-answer"
    queue_answer: int | None = None
    message_seconds: int = 8


@dataclass(frozen=True)
class Heard:
    """What a played call left behind: words said, steps entered, menu keys chosen, outcome."""

    said: tuple[str, ...]
    visited: tuple[tuple[str, str], ...]           # (flow, step), in order
    choices: tuple[tuple[str, str, str], ...] = ()  # (flow, menu step, key)
    outcome: str | None = None
    queue: str | None = None

    @property
    def steps(self) -> tuple[str, ...]:
        return tuple(step for _, step in self.visited)


def parse_file(content: bytes, path: str) -> list[ScriptedCall]:
    """The calls of one test file, or a FlowError with path:line: problems (unknown keys too)."""
    source = load_flow_yaml(content, path)
    checker = Checker(source)
    if source.data is None:
        raise FlowError([Problem(path, 1, 1, "the test file is empty; it needs `calls:`")])
    top = checker.object(source.data, FILE, (), "the test file")
    calls = []
    for i, spec in enumerate(top.get("calls", [])):
        path_ = ("calls", i)
        item = checker.object(spec, CALL, path_, "a call")
        if not {"name", "from", "expect"} <= set(item):
            continue
        line = source.where(path_)[0]
        expect = item["expect"]
        calls.append(ScriptedCall(
            name=item["name"], where=f"{path}:{line}", caller=item["from"],
            flow=item.get("flow", top.get("flow")), to=item.get("to"), at=item.get("at"),
            caller_name=item.get("caller_name"), open_ticket=item.get("open_ticket"),
            inputs=tuple(item.get("inputs", ())),
            dial=item.get("dial", "no-answer"), queue_answer=item.get("queue_answer"),
            message_seconds=item.get("message_seconds", 8),
            expect=Expect(hears=tuple(expect.get("hears", ())),
                          not_hears=tuple(expect.get("not_hears", ())),
                          steps=tuple(expect.get("steps", ())), ends_at=expect.get("ends_at"),
                          outcome=expect.get("outcome"), queue=expect.get("queue"))))
    if checker.problems:
        raise FlowError(checker.problems)
    return calls


def verdict(expect: Expect, heard: Heard) -> list[str]:
    """Why a call failed, as readable lines (expected vs heard); empty when it passed."""
    lines: list[str] = []
    missing = _in_order(expect.hears, heard.said)
    if missing is not None:
        lines.append("expected to hear, in order:")
        lines += [f"  {'✓' if i < missing else '✗'} {p}" for i, p in enumerate(expect.hears)]
        lines.append(f"  (first missing: {expect.hears[missing]!r})")
    for phrase in expect.not_hears:
        if any(phrase in said for said in heard.said):
            lines.append(f"expected not to hear {phrase!r}, but it was said")
    gap = _in_order(expect.steps, heard.steps, exact=True)
    if gap is not None:
        lines.append(f"expected steps in order {' → '.join(expect.steps)}; step "
                     f"{expect.steps[gap]!r} was not reached after the ones before it")
    last = heard.steps[-1] if heard.steps else None
    for label, want, got in (("destination (ends_at)", expect.ends_at, last),
                             ("outcome", expect.outcome, heard.outcome),
                             ("queue", expect.queue, heard.queue)):
        if want is not None and want != got:
            lines.append(f"expected {label} {want!r}, got {got!r}")
    if lines:
        lines.append("heard:")
        lines += [f"  {said}" for said in heard.said] or ["  (nothing)"]
        lines.append(f"steps: {' → '.join(heard.steps) or '(none)'}")
    return lines


def _in_order(wanted, seen, *, exact: bool = False) -> int | None:
    """Index of the first wanted item not found after the previous ones; None if all are."""
    position = 0
    for i, item in enumerate(wanted):
        while position < len(seen) and not (
                seen[position] == item if exact else item in seen[position]):
            position += 1
        if position == len(seen):
            return i
        position += 1 if exact else 0
    return None


@dataclass
class Coverage:
    """Steps and menu options of each flow that no scripted call reached."""

    steps: dict[str, list[str]] = field(default_factory=dict)       # flow -> steps
    options: dict[str, list[str]] = field(default_factory=dict)     # flow -> "menu:key"

    def report(self) -> list[str]:
        lines = []
        for flow in sorted(set(self.steps) | set(self.options)):
            steps, options = self.steps.get(flow, []), self.options.get(flow, [])
            if steps:
                lines.append(f"flow {flow}: steps no test reaches: {', '.join(steps)}")
            if options:
                lines.append(f"flow {flow}: menu options no test presses: {', '.join(options)}")
        return lines or ["every step and menu option is reached by a test"]


def coverage(flows: Mapping[str, Flow], heard: list[Heard]) -> Coverage:
    """What the played calls left unreached, per flow."""
    steps = {name: set() for name in flows}
    chosen = {name: set() for name in flows}
    for call in heard:
        for flow, step in call.visited:
            steps.setdefault(flow, set()).add(step)
        for flow, step, key in call.choices:
            chosen.setdefault(flow, set()).add(f"{step}:{key}")
    result = Coverage()
    for name, flow in flows.items():
        unreached = [s for s in flow.steps if s not in steps[name]]
        unpressed = [f"{s}:{k}" for s, step in flow.steps.items() if isinstance(step.action, Menu)
                     for k in step.action.options if f"{s}:{k}" not in chosen[name]]
        if unreached:
            result.steps[name] = unreached
        if unpressed:
            result.options[name] = unpressed
    return result
