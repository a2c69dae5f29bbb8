"""Flow graphs: nodes and labelled edges from the real loader, highlights, DOT/Mermaid, docs."""

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from core.cli import cli
from ivr.errors import IvrError
from ivr.flows import graph
from ivr.flows.folder import read_flow
from ivr.tools import graph_render as flowgraph_render
from tests.flows.helpers import HEAD, flow_text, parse

ROOT = Path(__file__).resolve().parents[2]


def shipped(name: str):
    return read_flow(ROOT / "flows" / f"{name}.yaml", frozenset())[0]


def test_steps_are_nodes_and_options_are_labelled_edges():
    g = graph.build(shipped("support_ja"))
    assert {n.name for n in g.nodes} >= set(shipped("support_ja").steps)
    edges = {(e.source, e.label, e.target) for e in g.edges}
    assert ("menu", "press 9", "english") in edges
    assert ("menu", "after 3 failed tries", "agent") in edges
    assert ("route", "open business", "menu") in edges
    assert ("route", "otherwise", "closed") in edges
    assert ("agent", "no answer", "voicemail") in edges
    assert g.node("welcome").role == "start" and g.node("agent").role == "exit"


def test_unreachable_steps_and_dead_ends_are_highlighted_with_a_legend():
    # `oops` is only reached on errors, and `stuck` (a connect with no next) just stops.
    flow = parse(flow_text("""\
        a:
          menu:
            prompt: "1"
            options: {"1": stuck, "2": z}
        stuck:
          connect: {queue: q}
        z:
          hangup: true
        oops:
          say: "ごめんなさい"
          next: z
        """, head=HEAD + "on_error: oops\n"))
    g = graph.build(flow)
    assert g.node("oops").role == "unreachable"
    assert g.node("stuck").role == "dead_end"
    assert g.node("z").role == "exit"
    dot = graph.to_dot(g)
    ids = {n.name: f"n{i}" for i, n in enumerate(g.nodes)}
    assert f'{ids["oops"]} [label="oops\\n[say]\\nごめんなさい", fillcolor="#f8d7da"' in dot
    assert f'{ids["stuck"]} [label="stuck\\n[connect]\\nqueue q", fillcolor="#ffe69c"' in dot
    assert 'legend_unreachable [label="unreachable from start"' in dot
    mermaid = graph.to_mermaid(g)
    assert f"class {ids['oops']},legend_unreachable unreachable" in mermaid
    assert f"class {ids['stuck']},legend_dead_end dead_end" in mermaid


def test_labels_are_quoted_safely_in_dot_and_mermaid():
    flow = parse(flow_text("""\
        a:
          say: 'a "b" <c> \\ 「日」'
          next: b
        b:
          hangup: true
        """))
    g = graph.build(flow)
    assert 'a \\"b\\" <c> \\\\ 「日」' in graph.to_dot(g)
    assert "a #quot;b#quot; #lt;c#gt; \\ 「日」" in graph.to_mermaid(g)


def test_dot_draws_japanese_svg():
    svg = flowgraph_render.render(shipped("support_ja"), "svg").decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "お電話ありがとうございます" in svg and "Noto Sans CJK JP" in svg


def test_missing_dot_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(IvrError, match="Graphviz `dot` was not found on PATH"):
        flowgraph_render.render(shipped("english"), "png")
    assert flowgraph_render.render(shipped("english"), "mermaid").startswith(b"flowchart TD")


def test_cli_graph_formats(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["flows", "graph", str(ROOT / "flows/english.yaml"),
                                 "--format", "mermaid"])
    assert result.exit_code == 0 and "flowchart TD" in result.output
    assert '-->|"press 3"|' in result.output
    out = tmp_path / "g.png"
    result = runner.invoke(cli, ["flows", "graph", str(ROOT / "flows/english.yaml"),
                                 "--format", "png", "-o", str(out)])
    assert result.exit_code == 0 and out.read_bytes().startswith(b"\x89PNG")
    result = runner.invoke(cli, ["flows", "graph", "nope.yaml"])
    assert result.exit_code == 1 and "No flow named 'nope.yaml'" in result.output


@pytest.mark.parametrize("name", ["support_ja", "english"])
def test_committed_graphs_are_up_to_date(name):
    """docs/flows/NAME.dot is what the SVG was drawn from; regenerate both when this fails."""
    fresh = graph.to_dot(graph.build(shipped(name)))
    committed = (ROOT / "docs" / "flows" / f"{name}.dot").read_text(encoding="utf-8")
    assert committed == fresh, (f"docs/flows/{name}.* are out of date: run `ivr flows graph "
                                f"flows/{name}.yaml --format dot -o docs/flows/{name}.dot` and "
                                f"the same with --format svg -o docs/flows/{name}.svg")
    mermaid = (ROOT / "docs" / "flows" / f"{name}.mmd").read_text(encoding="utf-8")
    assert mermaid == graph.to_mermaid(graph.build(shipped(name)))
    svg = (ROOT / "docs" / "flows" / f"{name}.svg").read_text(encoding="utf-8")
    assert all(f">{step}</text>" in svg for step in shipped(name).steps)
