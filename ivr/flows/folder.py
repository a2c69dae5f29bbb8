"""A folder of flow files: read them all, and check what no single file can (names, numbers)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ivr.flows.errors import FlowError, Problem
from ivr.flows.model import Flow, GotoFlow
from ivr.flows.parse import AUDIO_FILE, parse_flow

FLOW_SUFFIXES = (".yaml", ".yml")
# Files beside the flows that are not flows (queues, agent assignment, reply templates).
# Each is checked by the feature that reads it (core.features: config_files).
RESERVED_NAMES = frozenset({"queues", "assignment", "templates"})


@dataclass(frozen=True)
class FlowSet:
    """The flows serving calls: by name, by called number, and the default one."""

    flows: Mapping[str, Flow] = field(default_factory=dict)

    def for_number(self, to: str) -> Flow | None:
        """The flow claiming the called number, else the default flow."""
        for flow in self.flows.values():
            if to in flow.numbers:
                return flow
        return next((f for f in self.flows.values() if f.default), None)


def flow_files(folder: Path) -> list[Path]:
    """Flow files directly in the folder; sub-folders (tests, drafts) and reserved names skipped."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.suffix in FLOW_SUFFIXES and p.is_file() and not p.name.startswith(".")
                  and p.stem not in RESERVED_NAMES)


def media_files(folder: Path) -> frozenset[str]:
    if not folder.is_dir():
        return frozenset()
    return frozenset(p.name for p in folder.iterdir() if AUDIO_FILE.match(p.name))


def display_path(path: Path) -> str:
    """Paths in messages are relative to the working directory when they can be."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def read_flow(path: Path, media: frozenset[str]) -> tuple[Flow, bytes]:
    """Parse one file; also return its bytes (the revision archive keeps them)."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise FlowError([Problem(display_path(path), 1, 1, f"cannot read file: "
                                                           f"{exc.strerror}")]) from None
    return parse_flow(content, display_path(path), media_files=media), content


def cross_check(flows: list[Flow]) -> list[Problem]:
    """Problems between flows: duplicate names, shared numbers, two defaults, goto_flow targets."""
    problems: list[Problem] = []
    names: dict[str, Flow] = {}
    owners: dict[str, tuple[Flow, int]] = {}
    default: Flow | None = None
    for flow in flows:
        if flow.name in names:
            problems.append(_at(flow, ("name",), f"flow name {flow.name!r} is also used by "
                                                 f"{names[flow.name].path}"))
        names.setdefault(flow.name, flow)
        for i, number in enumerate(flow.numbers):
            first = owners.get(number)
            if first is not None and first[0] is not flow:  # both files are told, at the number
                problems.append(_at(flow, ("numbers", i), _claimed(number, first[0])))
                problems.append(_at(first[0], ("numbers", first[1]), _claimed(number, flow)))
            owners.setdefault(number, (flow, i))
        if flow.default:
            if default is not None:
                problems.append(_at(flow, ("default",), f"flow {default.name!r} "
                                                        f"({default.path}) is already the default"))
            default = default or flow
    for flow in flows:
        problems += _goto_targets(flow, names)
    return problems


def _claimed(number: str, other: Flow) -> str:
    return f"number {number} is also claimed by flow {other.name!r} ({other.path})"


def _goto_targets(flow: Flow, names: dict[str, Flow]) -> list[Problem]:
    problems = []
    for name, step in flow.steps.items():
        if not isinstance(step.action, GotoFlow):
            continue
        target = names.get(step.action.flow)
        path = ("steps", name, "goto_flow")
        if target is None:
            problems.append(_at(flow, path, f"no flow named {step.action.flow!r} (flows: "
                                            f"{', '.join(sorted(names))})"))
        elif step.action.step and step.action.step not in target.steps:
            problems.append(_at(flow, path, f"flow {target.name!r} has no step "
                                            f"{step.action.step!r}"))
    return problems


def _at(flow: Flow, path: tuple, message: str) -> Problem:
    line, col = flow.where(*path)
    return Problem(flow.path, line, col, message)


def load_folder(folder: Path) -> tuple[list[Flow], list[Problem]]:
    """Every flow file in a folder, parsed, plus every problem found in or between them."""
    media = media_files(folder)
    flows, problems = [], []
    for path in flow_files(folder):
        try:
            flows.append(read_flow(path, media)[0])
        except FlowError as exc:
            problems += exc.problems
    return flows, problems + cross_check(flows)
