"""Feature loading: each feature package declares, in its `plugin.py`, what it adds.

The platform imports no feature by name in code; it reads FEATURES, imports
`<package>.plugin` and loops over the `Feature` each one declares: the app factory mounts
their web edges, the worker loop runs their queues and periodic tasks, the CLI adds their
commands, `ivr db upgrade` creates their tables, `ivr flows validate` checks their files
beside the flows, and every process lets them subscribe to events (`start`).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import click

from core.problems import Problem

# In dependency order: a feature may use those before it, never those after.
FEATURES = ("crm_link", "voicemail", "transcription", "ivr", "desk", "supervisor")


@dataclass(frozen=True)
class Periodic:
    """A task a worker runs every `every(settings)` seconds while it works."""

    name: str
    every: Callable[[object], float]
    run: Callable[[object], object]


@dataclass(frozen=True)
class ConfigFile:
    """A file beside the flows that a feature reads; `check(folder)` lists its problems."""

    name: str
    check: Callable[[Path], list[Problem]]


def _nothing(*_args) -> None:
    return None


def _no_commands() -> list[click.Command]:
    return []


@dataclass(frozen=True)
class Feature:
    """What one feature package adds to the platform."""

    name: str
    models: tuple[str, ...] = ()            # modules whose tables join the one schema
    web: str | None = None                  # module with install(app, runtime): its web edge
    commands: Callable[[], Iterable[click.Command]] = _no_commands
    start: Callable[[object], None] = _nothing   # every process: subscribe, register probes
    worker_queues: tuple[str, ...] = ()     # RQ queues its jobs run on, in priority order
    worker_start: Callable[[object], None] = _nothing  # a worker, before its first job
    periodic: tuple[Periodic, ...] = ()
    worker_status: Callable[[object], list[str]] = lambda _rt: []   # `ivr worker --status`
    retry_failed: Callable[[object], str | None] = _nothing         # `ivr worker --retry-failed`
    config_files: tuple[ConfigFile, ...] = field(default=())


@functools.cache
def load() -> tuple[Feature, ...]:
    """Every feature, in dependency order (imported once per process)."""
    return tuple(importlib.import_module(f"{name}.plugin").feature for name in FEATURES)


def load_models() -> None:
    """Import every feature's table modules, so the one metadata holds the whole schema."""
    for feature in load():
        for module in feature.models:
            importlib.import_module(module)
