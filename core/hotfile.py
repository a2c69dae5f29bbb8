"""A configuration file beside the flows, re-read when it changes; the last good version serves.

`HotFile(path, load, default)` re-reads on a change of mtime or size. A missing file gives the
default; an invalid one is logged once with its `file:line:col` problems, `error` says what
is wrong, and the last good content (or the default) keeps serving meanwhile.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from core.problems import ConfigFileError

log = logging.getLogger("core.config")
T = TypeVar("T")


class HotFile(Generic[T]):
    """One file's parsed content, current as of the last call."""

    def __init__(self, path: Path | str, load: Callable[[Path], T], default: T, what: str,
                 good: str = "version"):
        self.path = Path(path)
        self.load = load
        self.what = what              # "assignment rules": what the log lines name
        self.good = good              # "rules": what keeps serving
        self._default = default
        self._value = default
        self._stamp: tuple | None = ("unread",)
        self._lock = threading.Lock()
        self.error: str | None = None

    def current(self) -> T:
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                self._reload(stamp)
            return self._value

    def _reload(self, stamp: tuple | None) -> None:
        self._stamp = stamp
        if stamp is None:
            self._value, self.error = self._default, None
            return
        try:
            self._value, self.error = self.load(self.path), None
            log.info(f"{self.what} loaded", extra={"path": str(self.path)})
        except ConfigFileError as exc:
            self.error = str(exc)
            log.error(f"{self.what} refused; the last good {self.good} "
                      f"{'keep' if self.good.endswith('s') else 'keeps'} serving",
                      extra={"path": str(self.path), "problems": self.error})
