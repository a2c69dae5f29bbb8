"""Problems found in configuration files, each with file, line and column.

Every file an operator edits (flows, queues, assignment rules, reply templates...) reports
what is wrong as `path:line:col: message`, all problems at once, and the last good version
keeps serving meanwhile. Pure: no I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import CoreError


@dataclass(frozen=True, order=True)
class Problem:
    """One finding in a file, printed as `path:line:col: message`."""

    path: str
    line: int
    col: int
    message: str
    severity: str = "error"  # "error" refuses the file; "warning" is reported by lint only

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else f"{self.severity}: "
        return f"{self.path}:{self.line}:{self.col}: {prefix}{self.message}"


class ConfigFileError(CoreError):
    """A configuration file is not valid; holds every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
