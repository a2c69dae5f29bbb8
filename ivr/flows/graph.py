"""A flow as a graph (steps, labelled edges, unreachable steps, dead ends) in DOT or Mermaid text.

Pure: rendering DOT to SVG/PNG needs Graphviz, which the CLI and web layers call themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from ivr.flows.model import (
    Ask,
    Branch,
    Callback,
    Condition,
    Connect,
    Flow,
    GotoFlow,
    Hangup,
    Menu,
    Play,
    Say,
    SetVars,
    Text,
    Voicemail,
)

FONT = "Noto Sans CJK JP"   # Debian fonts-noto-cjk: Japanese labels render, not tofu
SUMMARY_CHARS = 24
COLOURS = {"start": "#d1e7dd", "unreachable": "#f8d7da", "dead_end": "#ffe69c",
           "exit": "#cfe2ff", "step": "#ffffff", "flow": "#e2e3e5"}
LEGEND = (("start", "start step"), ("exit", "transfer, voicemail, callback, hang-up"),
          ("unreachable", "unreachable from start"), ("dead_end", "dead end: the call just stops"))
KINDS = {Say: "say", Play: "play", Menu: "menu", Ask: "ask", Branch: "branch", SetVars: "set",
         Connect: "connect", Voicemail: "voicemail", Callback: "callback",
         GotoFlow: "goto_flow", Hangup: "hangup"}
EXITS = (Connect, Voicemail, Callback, Hangup, GotoFlow)


@dataclass(frozen=True)
class Node:
    name: str
    kind: str
    summary: str
    role: str            # a COLOURS key: start, exit, unreachable, dead_end, step, flow


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str
    style: str = "solid"  # dashed: fallbacks and failures; dotted: on_error


@dataclass(frozen=True)
class Graph:
    flow: str
    description: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    def node(self, name: str) -> Node | None:
        return next((n for n in self.nodes if n.name == name), None)


def build(flow: Flow) -> Graph:
    """The graph of one flow: a node per step, an edge per way out of it."""
    edges: list[Edge] = []
    for name, step in flow.steps.items():
        edges += edges_of(name, step.action)
    if flow.on_error:
        edges.append(Edge("(on_error)", flow.on_error, "internal error", "dotted"))
    reach = reachable(flow.start, edges)
    nodes = [Node(name, KINDS[type(step.action)], summary(flow, step.action),
                  _role(flow, name, step.action, reach, edges))
             for name, step in flow.steps.items()]
    known = set(flow.steps)
    for edge in edges:
        if edge.target not in known:  # other flows and the on_error entry
            known.add(edge.target)
            nodes.append(Node(edge.target, "flow", "", "flow"))
        if edge.source not in known:
            known.add(edge.source)
            nodes.append(Node(edge.source, "error", "", "flow"))
    return Graph(flow.name, flow.description, tuple(nodes), tuple(edges))


def edges_of(name: str, action) -> list[Edge]:
    """Every way out of a step, labelled as a supervisor would say it."""
    return EDGES[type(action)](name, action)


def _next(name, a) -> list[Edge]:
    return [Edge(name, a.next, "")]


def _set_edges(name, a: SetVars) -> list[Edge]:
    return [Edge(name, a.next, ", ".join(f"{k}={v}" for k, v in a.values.items()))]


def _menu_edges(name, a: Menu) -> list[Edge]:
    out = [Edge(name, target, f"press {key}") for key, target in a.options.items()]
    return out + _maybe(name, a.fallback, f"after {a.attempts} failed tries", "dashed")


def _ask_edges(name, a: Ask) -> list[Edge]:
    return [Edge(name, a.next, f"answer → {a.save_as}")] + _maybe(
        name, a.fallback, f"after {a.attempts} failed tries", "dashed")


def _branch_edges(name, a: Branch) -> list[Edge]:
    return [Edge(name, rule.goto, describe(rule.when) if rule.when else "otherwise")
            for rule in a.rules]


def _connect_edges(name, a: Connect) -> list[Edge]:
    return (_maybe(name, a.next, "after the conversation")
            + _maybe(name, a.no_answer, "no answer", "dashed"))


def _callback_edges(name, a: Callback) -> list[Edge]:
    return (_maybe(name, a.next, "booked")
            + _maybe(name, a.fallback, f"after {a.attempts} failed tries", "dashed"))


def _goto_edges(name, a: GotoFlow) -> list[Edge]:
    return [Edge(name, f"flow {a.flow}" + (f" / {a.step}" if a.step else ""), "goto_flow")]


EDGES = {Say: _next, Play: _next, SetVars: _set_edges, Menu: _menu_edges, Ask: _ask_edges,
         Branch: _branch_edges, Connect: _connect_edges,
         Voicemail: lambda name, a: _maybe(name, a.next, "message saved"),
         Callback: _callback_edges, GotoFlow: _goto_edges, Hangup: lambda name, a: []}


def _maybe(name: str, target: str | None, label: str, style: str = "solid") -> list[Edge]:
    return [Edge(name, target, label, style)] if target else []


def describe(cond: Condition) -> str:
    """A branch condition in words: `open business`, `caller known`, `account matches ^A`."""
    parts = []
    for key in ("open", "closed", "caller", "language"):
        if getattr(cond, key) is not None:
            parts.append(f"{key} {getattr(cond, key)}")
    if cond.var is not None:
        test = (f"= {cond.equals}" if cond.equals is not None else
                f"in {', '.join(cond.in_)}" if cond.in_ is not None else f"matches {cond.matches}")
        parts.append(f"{cond.var} {test}")
    if cond.caller_has_open_ticket is not None:
        parts.append("open ticket" if cond.caller_has_open_ticket else "no open ticket")
    return " and ".join(parts)


def summary(flow: Flow, action) -> str:
    """What the step says or does, shortened: the words in the flow's main language."""
    said = SUMMARY[type(action)](action)
    words = said.pick(flow.language, flow.language)[0] if isinstance(said, Text) else said
    words = " ".join((words or "").split())
    return words if len(words) <= SUMMARY_CHARS else words[:SUMMARY_CHARS - 1] + "…"


# What a node shows: the words it speaks (a Text) or what it does (a string).
SUMMARY = {
    Say: lambda a: a.text, Menu: lambda a: a.prompt, Ask: lambda a: a.prompt,
    Voicemail: lambda a: a.prompt, Connect: lambda a: f"{a.kind} {a.target}",
    Play: lambda a: a.url, GotoFlow: lambda a: a.flow, Callback: lambda a: f"queue {a.queue}",
    SetVars: lambda a: "", Branch: lambda a: "", Hangup: lambda a: "",
}


def reachable(start: str, edges: list[Edge]) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += [e.target for e in edges if e.source == name]
    return seen


def _role(flow: Flow, name: str, action, reach: set[str], edges: list[Edge]) -> str:
    if name not in reach:
        return "unreachable"
    if not isinstance(action, (Hangup, GotoFlow)) and not any(e.source == name for e in edges):
        return "dead_end"
    if name == flow.start:
        return "start"
    return "exit" if isinstance(action, EXITS) else "step"


# ---- DOT ---------------------------------------------------------------------------------------


def to_dot(graph: Graph) -> str:
    """Graphviz source; the same graph gives the same text, so it can be committed and compared."""
    ids = _ids(graph)
    title = graph.flow + (f" — {graph.description}" if graph.description else "")
    lines = [f"digraph {_q(graph.flow)} {{",
             f"  graph [rankdir=TB, fontname={_q(FONT)}, label={_q(title)}, labelloc=t];",
             f"  node [shape=box, style=\"rounded,filled\", fontname={_q(FONT)}, fontsize=11];",
             f"  edge [fontname={_q(FONT)}, fontsize=10];"]
    for node in graph.nodes:
        label = node.name if node.role == "flow" else "\n".join(
            filter(None, [node.name, f"[{node.kind}]", node.summary]))
        extra = ", penwidth=2" if node.role in ("unreachable", "dead_end", "start") else ""
        shape = ", shape=diamond" if node.kind == "branch" else (
            ", shape=ellipse" if node.role == "flow" else "")
        lines.append(f"  {ids[node.name]} [label={_q(label)}, "
                     f"fillcolor={_q(COLOURS[node.role])}{shape}{extra}];")
    for edge in graph.edges:
        style = f", style={edge.style}" if edge.style != "solid" else ""
        lines.append(f"  {ids[edge.source]} -> {ids[edge.target]} "
                     f"[label={_q(edge.label)}{style}];")
    lines += ["  subgraph cluster_legend {", "    label=\"legend\"; fontsize=10; style=dashed;"]
    for role, words in LEGEND:
        lines.append(f"    legend_{role} [label={_q(words)}, fillcolor={_q(COLOURS[role])}];")
    lines += ["  }", "}", ""]
    return "\n".join(lines)


def _ids(graph: Graph) -> dict[str, str]:
    return {node.name: f"n{i}" for i, node in enumerate(graph.nodes)}


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


def _q(text: str) -> str:
    return f"\"{_esc(text)}\""


# ---- Mermaid -------------------------------------------------------------------------------------


def to_mermaid(graph: Graph) -> str:
    """Mermaid flowchart text (GitHub and many wikis draw it without Graphviz)."""
    ids = _ids(graph)
    lines = ["flowchart TD"]
    for node in graph.nodes:
        label = node.name if node.role == "flow" else f"{node.name}<br/>[{node.kind}]" + (
            f"<br/>{node.summary}" if node.summary else "")
        open_, close = ("{", "}") if node.kind == "branch" else ("([", "])") if (
            node.role == "flow") else ("[", "]")
        lines.append(f"  {ids[node.name]}{open_}\"{_mq(label)}\"{close}")
    for edge in graph.edges:
        arrow = "-.->" if edge.style != "solid" else "-->"
        label = f"|\"{_mq(edge.label)}\"|" if edge.label else ""
        lines.append(f"  {ids[edge.source]} {arrow}{label} {ids[edge.target]}")
    lines.append("  subgraph legend")
    for role, words in LEGEND:
        lines.append(f"    legend_{role}[\"{_mq(words)}\"]")
    lines.append("  end")
    for role, colour in COLOURS.items():
        lines.append(f"  classDef {role} fill:{colour},stroke:#333")
    for role in COLOURS:
        members = [ids[n.name] for n in graph.nodes if n.role == role]
        members += [f"legend_{role}"] if role in dict(LEGEND) else []
        if members:
            lines.append(f"  class {','.join(members)} {role}")
    return "\n".join(lines) + "\n"


def _mq(text: str) -> str:
    """Mermaid labels: quotes and angle brackets as entities (the <br/> we add stays)."""
    return (text.replace("\"", "#quot;").replace("<br/>", "\x00").replace("<", "#lt;")
            .replace(">", "#gt;").replace("\x00", "<br/>"))
