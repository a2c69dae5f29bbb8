"""Render a flow graph's DOT text with Graphviz `dot` (outside the pure flows package)."""

from __future__ import annotations

import shutil
import subprocess

from ivr.errors import IvrError
from ivr.flows import graph
from ivr.flows.model import Flow

FORMATS = ("svg", "png", "mermaid", "dot")
DOT_TIMEOUT_SECONDS = 20


def render(flow: Flow, fmt: str) -> bytes:
    """The flow's graph as svg/png (drawn by Graphviz) or as mermaid/dot text."""
    if fmt not in FORMATS:
        raise IvrError(f"Graph format must be one of {', '.join(FORMATS)}, not {fmt!r}.")
    model = graph.build(flow)
    if fmt == "mermaid":
        return graph.to_mermaid(model).encode()
    source = graph.to_dot(model)
    return source.encode() if fmt == "dot" else draw(source, fmt)


def draw(source: str, fmt: str) -> bytes:
    """Run `dot -T<fmt>` on DOT text; a missing Graphviz is a clear error, not a traceback."""
    binary = shutil.which("dot")
    if binary is None:
        raise IvrError("Graphviz `dot` was not found on PATH; install it (apt-get install "
                       "graphviz) or use --format mermaid.")
    try:
        done = subprocess.run([binary, f"-T{fmt}"], input=source.encode(), capture_output=True,
                              timeout=DOT_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise IvrError(f"Graphviz took longer than {DOT_TIMEOUT_SECONDS}s to draw the "
                       "graph.") from None
    if done.returncode != 0:
        raise IvrError(f"Graphviz failed (exit {done.returncode}): "
                       f"{done.stderr.decode(errors='replace').strip()}")
    return done.stdout
