"""Supervisor pages: the live dashboard (snapshot JSON + event stream) and period reports/CSV."""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import redis as redis_lib
from flask import Blueprint, Response, abort, jsonify, render_template, request

import supervisor.web.texts_dashboard  # noqa: F401 -- registers the pages' texts
from core.agent_states import STATES
from core.events import KINDS
from core.web import runtime
from core.web.i18n import current_language, t
from core.web.security import protect_pages, role_required
from core.web.sse import stream
from crm_link.models import CHANNELS
from ivr.acd.config import QueuesFile
from ivr.voice.models import MODES
from supervisor import reports
from supervisor.charts import bar_chart
from supervisor.csv_export import to_csv
from supervisor.live import snapshot
from supervisor.reports_periods import DEFAULT_TIMEZONE, GROUPINGS, PeriodError, parse_period

bp = protect_pages(Blueprint("dashboard", __name__, template_folder="templates",
                             static_folder="static",
                             static_url_path="/supervisor/static/dashboard"))
supervisor_only = role_required("supervisor")
TABLES = ("summary", "channels", "tickets", "agents", "outbound", "dispositions")
WALL_PREFIXES = ("call.", "voicemail.", "recording.", "agent.")


def wall_kinds() -> tuple[str, ...]:
    """Events that change a figure on the wall; the rest (who views which ticket...) never
    reach it. Read when asked: every feature has registered its events by then."""
    return tuple(sorted(kind for kind in KINDS
                        if kind.startswith(WALL_PREFIXES) or kind == "ticket.changed"))


@bp.get("/supervisor/live")
@supervisor_only
def live():
    return render_template("supervisor/dashboard_live.html", kinds=wall_kinds(),
                           live=_snapshot(), clock_time=clock_time,
                           state_names={s: t(f"presence.{s}") for s in STATES},
                           kind_names={k: t(f"dash.live.kind_{k}") for k in ("call", "callback")},
                           monitor_modes=MODES,
                           monitor_labels={m: t(f"voice.monitor.{m}") for m in MODES})


@bp.get("/supervisor/live.json")
@supervisor_only
def live_json():
    return jsonify(_snapshot())


@bp.get("/supervisor/live/events")
@supervisor_only
def live_events():
    """Only an event's kind and time reach the page: it re-reads the snapshot, no caller data."""
    try:
        subscription = runtime().live_hub.open()
    except redis_lib.RedisError:
        return Response(t("dash.live.offline"), status=503, mimetype="text/plain")
    return stream(subscription, live_event)


def live_event(event: dict) -> dict | None:
    """What the wall hears of an event: its kind and time when it matters, else nothing."""
    if event.get("kind") not in wall_kinds():
        return None
    return {"kind": event["kind"], "at": event.get("at")}


def clock_time(iso: str) -> str:
    """A snapshot time as the wall clock in Tokyo shows it (the script then uses the browser's)."""
    return dt.datetime.fromisoformat(iso).astimezone(ZoneInfo(DEFAULT_TIMEZONE)).strftime("%H:%M:%S")


def _snapshot() -> dict:
    rt = runtime()
    queues = _queues_file(str(rt.settings.telephony.flows_dir)).current()
    with rt.db.session() as session:
        return snapshot(session, rt.clock(), rt.redis, queues)


@functools.cache
def _queues_file(folder: str) -> QueuesFile:
    """FLOWS_DIR/queues.yaml for the service-level thresholds (hot reloaded, one per folder)."""
    return QueuesFile(folder)


@bp.get("/supervisor/reports")
@supervisor_only
def report_page():
    try:
        report = _report()
    except PeriodError as exc:
        return render_template("supervisor/reports.html", error=str(exc), report=None,
                               **_form_choices()), 400
    return render_template("supervisor/reports.html", error=None, report=report,
                           charts=_charts(report), cell=cell, definitions=reports.__doc__,
                           query=request.query_string.decode(), **_form_choices())


@bp.get("/supervisor/reports/<name>.csv")
@supervisor_only
def report_csv(name: str):
    if name not in TABLES:
        abort(404)
    try:
        report = _report()
    except PeriodError as exc:
        return Response(str(exc), status=400, mimetype="text/plain")
    if name not in report.tables:     # call tables under a channel without calls
        abort(404)
    table = report.tables[name]
    body = to_csv([t(f"dash.col.{c}") for c in table.columns],
                  ([csv_value(c, row[c]) for c in table.columns] for row in table.rows))
    period = report.period
    filename = f"{name}-{period.first}-{period.last}-{period.by}.csv"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


def _report() -> reports.Report:
    args = request.args
    tz = args.get("tz") or DEFAULT_TIMEZONE
    period = parse_period(args.get("from"), args.get("to"), args.get("by"), tz, _today(tz))
    channel = args.get("channel", "")
    if channel and channel not in CHANNELS:
        raise PeriodError(f"Unknown channel {channel!r}.")
    with runtime().db.session() as session:
        return reports.build_report(session, period, channel, runtime().clock(),
                                    _disposition_labels())


def _disposition_labels() -> dict[str, str]:
    """Wrap-up codes as the page's reader calls them (queues.yaml)."""
    language = "en-US" if current_language() == "en" else "ja-JP"
    config = _queues_file(str(runtime().settings.telephony.flows_dir)).current()
    return {code: label.pick(language, "ja-JP")[0]
            for code, label in config.dispositions_for(None).items()}


def _today(tz: str) -> dt.date:
    """Today in the report's zone (the server's clock in UTC when the zone is unknown)."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):  # parse_period reports the bad zone
        zone = dt.UTC
    return runtime().clock().astimezone(zone).date()


def _form_choices() -> dict:
    return {"groupings": GROUPINGS, "channels": CHANNELS, "args": request.args,
            "default_tz": DEFAULT_TIMEZONE}


def cell(column: str, value) -> str:
    """How a report value reads on the page."""
    if value is None:
        return "—"
    if column == "channel":
        return t(f"dash.channel.{value}")
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def csv_value(column: str, value):
    """CSV keeps numbers as numbers (one decimal) and blanks for no data."""
    if column == "channel":
        return t(f"dash.channel.{value}")
    return value


def _charts(report: reports.Report) -> list[str]:
    summary = report.tables["summary"]
    labels = [row["period"] for row in summary.rows]
    if report.includes_calls:
        calls = bar_chart(t("dash.chart.calls"), labels, [
            (t(f"dash.col.{key}"), [row[key] for row in summary.rows])
            for key in ("calls", "answered", "abandoned_ivr", "abandoned_queue", "voicemail")])
        waits = bar_chart(t("dash.chart.waits"), labels, [
            (t(f"dash.col.{key}"), [row[key] for row in summary.rows])
            for key in ("avg_wait", "p90_wait")])
        return [calls, waits]
    return [bar_chart(t("dash.col.contacts"), labels,
                      [(t("dash.col.contacts"), [row["contacts"] for row in summary.rows])])]

