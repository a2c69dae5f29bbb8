"""Supervisor flow pages: graphs, revision history with diffs, and a step-by-step preview."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, current_app, render_template, request
from markupsafe import Markup

from core.web import runtime
from core.web.security import protect_pages, role_required
from ivr.errors import IvrError
from ivr.flows import graph
from ivr.flows.lint import lint
from ivr.flows.model import Flow
from ivr.tools import graph_render
from supervisor import flows_preview, flows_revisions
from supervisor.web import texts_flows

texts_flows.register()
bp = protect_pages(Blueprint("supervisor_flows", __name__, url_prefix="/supervisor/flows",
                             template_folder="templates", static_folder="static",
                             static_url_path="/static"))
supervisor_only = role_required("supervisor")
MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png", "mermaid": "text/plain",
               "dot": "text/vnd.graphviz"}


def _registry():
    return current_app.extensions["flows"]


def _flows() -> dict[str, Flow]:
    return dict(_registry().current().flows)


def _flow(name: str) -> Flow:
    flow = _flows().get(name)
    if flow is None:
        abort(404)
    return flow


@bp.get("")
@supervisor_only
def index():
    flows = sorted(_flows().values(), key=lambda f: f.name)
    return render_template("supervisor/flows_index.html", flows=flows,
                           problems=[str(p) for p in _registry().problems])


@bp.get("/<name>")
@supervisor_only
def graph_page(name: str):
    """The flow drawn by Graphviz (inline SVG, so its text is searchable), plus lint warnings."""
    flow = _flow(name)
    svg, error, mermaid = None, None, None
    try:
        drawn = graph_render.render(flow, "svg").decode()
        svg = Markup(drawn[drawn.index("<svg"):])  # Graphviz escapes every label it writes
    except IvrError as exc:
        error, mermaid = str(exc), graph.to_mermaid(graph.build(flow))
    return render_template("supervisor/flows_graph.html", flow=flow, svg=svg, error=error,
                           mermaid=mermaid, warnings=[str(w) for w in lint(flow)])


@bp.get("/<name>/graph.<fmt>")
@supervisor_only
def graph_file(name: str, fmt: str):
    if fmt not in MEDIA_TYPES:
        abort(404)
    try:
        data = graph_render.render(_flow(name), fmt)
    except IvrError as exc:
        return Response(str(exc), status=503, mimetype="text/plain")
    extension = "mmd" if fmt == "mermaid" else fmt
    return Response(data, mimetype=MEDIA_TYPES[fmt], headers={
        "Content-Disposition": f"inline; filename={name}.{extension}"})


@bp.get("/<name>/revisions")
@supervisor_only
def revisions(name: str):
    """History (newest first) and, given ?old=&new=, the diff between two revisions."""
    live = _flows().get(name)
    _registry().archive_pending()  # a reload just now may have put a revision live: keep it
    old, new = request.args.get("old", ""), request.args.get("new", "")
    diff, missing = None, None
    with runtime().db.session() as session:
        rows = flows_revisions.history(session, name, live.revision if live else None)
        if not rows and live is None:
            abort(404)
        if old and new:
            before = flows_revisions.content(session, name, old)
            after = flows_revisions.content(session, name, new)
            missing = old if before is None else new if after is None else None
            if missing is None:
                diff = flows_revisions.diff(before[1], after[1], f"{name}@{old}",
                                            f"{name}@{new}")
    return render_template("supervisor/flows_revisions.html", name=name, rows=rows, diff=diff,
                           old=old, new=new, missing=missing,
                           path=live.path if live else (rows[0].path if rows else ""))


@bp.get("/<name>/revisions/<revision>.yaml")
@supervisor_only
def revision_file(name: str, revision: str):
    with runtime().db.session() as session:
        found = flows_revisions.content(session, name, revision)
    if found is None:
        abort(404)
    filename = found[0].rsplit("/", 1)[-1]
    return Response(found[1], mimetype="application/x-yaml", headers={
        "Content-Disposition": f"attachment; filename={revision}-{filename}"})


@bp.get("/<name>/preview")
@supervisor_only
def preview(name: str):
    """Replay the moves in the query string through the pure engine; show what is heard."""
    flow = _flow(name)
    args = request.args
    now = runtime().clock()
    try:
        at = flows_preview.at_time(flow, args.get("date", ""), args.get("time", ""), now)
        moves = flows_preview.parse_moves(args.getlist("m"))
    except ValueError as exc:
        at, moves = flows_preview.at_time(flow, "", "", now), []
        error = str(exc)
    else:
        error = None
    setup = flows_preview.Setup(at=at, caller=args.get("caller", "+819012345678")[:32],
                                name=args.get("name", "")[:64],
                                open_ticket=args.get("ticket") == "1",
                                language=args.get("language", flow.language))
    walk = flows_preview.walk(flow, _flows(), setup, moves)
    return render_template("supervisor/flows_preview.html", flow=flow, setup=setup,
                           moves=moves, walk=walk, error=error or walk.error,
                           date=at.date().isoformat(), time=at.strftime("%H:%M"))


@bp.app_template_filter("svflows_when")
def when(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""
