"""Live flows with hot reload: edits apply to new calls, bad edits are refused, old revisions stay.

Each web process polls FLOWS_DIR (a stat per file, at most once per FLOWS_RELOAD_SECONDS).
A file that fails to parse keeps its last good revision serving; a change that breaks the
set (a number claimed twice, say) is refused whole. Every revision that goes live is archived
in the database, so a call resumes on the revision it started with in any process. Reloading
never writes: `archive_pending()` does, called where no transaction is open (the start of a
webhook), so a reload inside a request cannot wait on that request's own database lock.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from pathlib import Path
from typing import Protocol

from ivr.flows.errors import FlowError, Problem
from ivr.flows.folder import FlowSet, cross_check, flow_files, media_files, read_flow
from ivr.flows.model import Flow
from ivr.flows.parse import parse_flow

log = logging.getLogger("ivr.flows")


class RevisionArchive(Protocol):
    """Where live revisions are kept for other processes and for history."""

    def record(self, flow: Flow, content: bytes, loaded_by: str) -> bool:
        """Keep a revision; False when it could not be stored now (retried later)."""

    def fetch(self, name: str, revision: str) -> tuple[str, bytes] | None:
        """The path and content of a revision, if archived."""


class FlowRegistry:
    """The current FlowSet of one process, reloaded from disk when files change."""

    def __init__(self, folder: Path, *, reload_seconds: float = 1.0,
                 archive: RevisionArchive | None = None):
        self.folder = Path(folder)
        self.reload_seconds = reload_seconds
        self.archive = archive
        self.problems: list[Problem] = []
        self.loaded_at: float | None = None
        self._set = FlowSet()
        self._good: dict[Path, Flow] = {}
        self._revisions: dict[tuple[str, str], Flow] = {}
        self._pending: dict[tuple[str, str], tuple[Flow, bytes]] = {}
        self._signature: dict | None = None
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def current(self) -> FlowSet:
        """The live flows, after a reload if files changed since the last look."""
        if time.monotonic() - self._checked >= self.reload_seconds:
            self.reload()
        return self._set

    def reload(self) -> bool:
        """Look at the folder now; return True when the live set changed."""
        with self._lock:
            self._checked = time.monotonic()
            signature = _signature(self.folder)
            if signature == self._signature:
                return False
            self._signature = signature
            return self._load()

    def revision(self, name: str, revision: str) -> Flow | None:
        """A flow as it was at a revision: from memory, else from the archive."""
        flow = self._revisions.get((name, revision))
        if flow is None and self.archive is not None:
            found = self.archive.fetch(name, revision)
            if found is not None:
                flow = parse_flow(found[1], found[0])
                self._revisions[(name, revision)] = flow
        return flow

    def status(self) -> dict:
        """For /readyz: serving flows and their revisions, and refused edits (as on disk now)."""
        flows = self.current().flows
        return {"ok": bool(flows), "flows": {n: f.revision for n, f in sorted(flows.items())},
                "errors": [str(p) for p in self.problems]}

    def _load(self) -> bool:
        media = media_files(self.folder)
        candidate: dict[Path, Flow] = {}
        contents: dict[Path, bytes] = {}
        problems: list[Problem] = []
        for path in flow_files(self.folder):
            try:
                candidate[path], contents[path] = read_flow(path, media)
            except FlowError as exc:
                problems += exc.problems
                if path in self._good:
                    candidate[path] = self._good[path]  # the last good revision keeps serving
        crossed = cross_check(list(candidate.values()))
        self.problems = problems + crossed
        for problem in self.problems:
            log.error("flow refused", extra={"problem": str(problem)})
        if crossed:
            return False  # the whole change is refused; what served before still serves
        changed = {p: f for p, f in candidate.items()
                   if self._good.get(p) is None or self._good[p].revision != f.revision}
        removed = set(self._good) - set(candidate)
        for path, flow in changed.items():
            self._pending[(flow.name, flow.revision)] = (flow, contents[path])
        self._good = candidate
        self._set = FlowSet({f.name: f for f in candidate.values()})
        for flow in candidate.values():
            self._revisions[(flow.name, flow.revision)] = flow
        self.loaded_at = time.time()
        for flow in changed.values():
            log.info("flow live", extra={"flow": flow.name, "revision": flow.revision,
                                         "path": flow.path})
        return bool(changed or removed)

    def archive_pending(self) -> None:
        """Archive revisions that went live; if the database is down, try again next time."""
        if not self._pending:
            return
        if self.archive is None:
            self._pending.clear()
            return
        for key, (flow, content) in list(self._pending.items()):
            if self.archive.record(flow, content, f"{socket.gethostname()}:{os.getpid()}"):
                self._pending.pop(key, None)


def _signature(folder: Path) -> dict:
    """What changes when any flow or audio file in the folder changes."""
    if not folder.is_dir():
        return {}
    result = {}
    for entry in os.scandir(folder):
        if entry.is_file():
            stat = entry.stat()
            result[entry.name] = (stat.st_mtime_ns, stat.st_size)
    return result
