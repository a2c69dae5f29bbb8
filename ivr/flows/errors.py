"""Flow problems carry file, line and column so supervisors can jump straight to them."""

from __future__ import annotations

from dataclasses import dataclass

from ivr.errors import IvrError


@dataclass(frozen=True, order=True)
class Problem:
    """One finding in a flow file, printed as `path:line:col: message`."""

    path: str
    line: int
    col: int
    message: str
    severity: str = "error"  # "error" refuses the file; "warning" is reported by lint only

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else f"{self.severity}: "
        return f"{self.path}:{self.line}:{self.col}: {prefix}{self.message}"


class FlowError(IvrError):
    """A flow file (or set of flows) is not valid; holds every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class FlowRuntimeError(IvrError):
    """A valid flow met a state it cannot continue from (e.g. a goto loop without input)."""
