"""The application factory: one Flask app per process, wired from one Settings object."""

from __future__ import annotations

import logging
import time
import uuid

from flask import Flask, abort, g, request
from werkzeug.routing import IntegerConverter

from core import logs
from core.runtime import Runtime
from core.settings import Settings
from core.web import health
from crm_link import api as crm_api
from desk import assignment_hook, assignment_web
from desk import auth as desk_auth
from desk import home as desk_home
from desk import ticket_views as desk_tickets
from ivr.flowstore import FlowRegistry
from ivr.revisions import DbRevisionArchive
from ivr.telephony import CallService
from ivr.web import twilio
from supervisor import dashboard_web
from supervisor import flows_web as supervisor_flows
from voicemail import web as recordings_web

log = logging.getLogger("ivr.web")

MAX_BODY_BYTES = 2 * 1024 * 1024  # webhooks and API payloads; raw email has its own limit


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> Flask:
    """Build the web app; with no arguments, read the environment (as gunicorn does)."""
    if runtime is None:
        settings = (settings or Settings.from_env()).check()
        logs.configure(settings.log_format, settings.log_level)
        runtime = Runtime(settings)
    settings = runtime.settings
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_base_url.startswith("https://"),
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False
    app.url_map.converters["int"] = DatabaseId
    app.extensions["ivr"] = runtime
    _request_logging(app)
    app.before_request(_refuse_nul)
    app.register_blueprint(health.bp)
    app.register_blueprint(crm_api.bp)
    app.register_blueprint(twilio.bp)
    app.register_blueprint(twilio.media)
    _telephony(app, runtime)
    app.register_blueprint(desk_auth.bp)
    app.register_blueprint(desk_home.bp)
    app.register_blueprint(recordings_web.bp)
    app.register_blueprint(desk_tickets.bp)
    app.register_blueprint(assignment_web.bp)
    assignment_hook.install(runtime)  # tickets filed by this process are assigned as they come
    app.register_blueprint(supervisor_flows.bp)
    app.register_blueprint(dashboard_web.bp)
    if settings.generated_secrets:
        log.warning("development mode: generated secrets in use",
                    extra={"generated": list(settings.generated_secrets),
                           "stored_in": str(settings.data_dir / "dev-secrets.json")})
    return app


class DatabaseId(IntegerConverter):
    """`<int:…>` in every route: ids beyond the database's integer range are simply not found."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def _telephony(app: Flask, runtime: Runtime) -> None:
    """Flows from FLOWS_DIR (hot reloaded, revisions archived) and the call service using them."""
    settings = runtime.settings
    registry = FlowRegistry(settings.flows_dir, reload_seconds=settings.flows_reload_seconds,
                            archive=DbRevisionArchive(runtime.db))
    registry.reload()
    registry.archive_pending()
    runtime.readiness_probes["flows"] = registry.status
    app.extensions["flows"] = registry
    app.extensions["calls"] = CallService(settings, registry, lambda: runtime.clock())


def _refuse_nul() -> None:
    """NUL characters in form fields or the query string are refused: text columns cannot hold
    them. (Twilio's webhooks answer with TwiML of their own; the JSON API checks its bodies.)"""
    if request.path.startswith("/twilio/"):
        return
    values = list(request.args.values())
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += request.form.values()
    if any("\x00" in value for value in values):
        abort(400, "A form field or query parameter contains a NUL character (\\u0000).")


def _request_logging(app: Flask) -> None:
    """One line per request, tagged with the router's request id (or ours) and the CallSid."""

    @app.before_request
    def start():
        g.started = time.perf_counter()
        rid = request.headers.get("X-Request-Id") or uuid.uuid4().hex
        g.request_id = rid[:64]
        logs.request_id.set(g.request_id)
        logs.call_sid.set((request.form.get("CallSid") or None) if request.mimetype ==
                          "application/x-www-form-urlencoded" else None)

    @app.after_request
    def finish(response):
        response.headers["X-Request-Id"] = g.get("request_id", "")
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        if request.path not in ("/healthz",):
            log.info("request", extra={"method": request.method, "path": request.path,
                                       "status": response.status_code,
                                       "ms": round(elapsed, 2)})
        return response

    @app.teardown_request
    def clear(_exc):
        logs.request_id.set(None)
        logs.call_sid.set(None)
