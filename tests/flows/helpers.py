"""Small builders for flow tests: a valid flow skeleton to vary one piece at a time."""

from __future__ import annotations

import textwrap

import pytest

from ivr.flows.errors import FlowError
from ivr.flows.parse import parse_flow

HEAD = """\
name: t
language: ja-JP
languages: [ja-JP, en-US]
timezone: Asia/Tokyo
"""


def flow_text(steps: str, head: str = HEAD, start: str = "a") -> str:
    return head + f"start: {start}\nsteps:\n" + textwrap.indent(textwrap.dedent(steps), "  ")


def parse(text: str, path: str = "t.yaml", media=None):
    return parse_flow(text.encode(), path, media_files=media)


def problems(text: str, path: str = "t.yaml", media=None) -> list[str]:
    with pytest.raises(FlowError) as err:
        parse(text, path, media)
    return [str(p) for p in err.value.problems]
