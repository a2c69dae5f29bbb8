"""Flow problems carry file, line and column so supervisors can jump straight to them."""

from __future__ import annotations

from core.problems import ConfigFileError, Problem
from ivr.errors import IvrError

__all__ = ["FlowError", "FlowRuntimeError", "Problem"]


class FlowError(ConfigFileError, IvrError):
    """A flow file (or set of flows) is not valid; holds every problem found, not just the first."""


class FlowRuntimeError(IvrError):
    """A valid flow met a state it cannot continue from (e.g. a goto loop without input)."""
