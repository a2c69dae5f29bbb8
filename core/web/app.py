"""The application factory: one Flask app per process, wired from one Settings object.

The platform's own routes (health) and web kit (request logging, error translator, template
globals) first, then every feature's web edge, in dependency order (core.features).
"""

from __future__ import annotations

import importlib
import logging
import time
import uuid

from flask import Flask, abort, g, request
from werkzeug.routing import IntegerConverter

from core import accounts, features, logs
from core.runtime import Runtime
from core.settings import Settings
from core.web import errors, health, i18n
from core.web.layout import nav_links
from core.web.security import csrf, current_user

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
    app.extensions["runtime"] = runtime
    _request_logging(app)
    app.before_request(_refuse_nul)
    errors.install(app)
    _template_globals(app)
    app.register_blueprint(health.bp)
    for feature in features.load():
        if feature.web:
            importlib.import_module(feature.web).install(app, runtime)
    runtime.start()  # every feature subscribes to this process's events
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


def _template_globals(app: Flask) -> None:
    """What every feature's pages may use: texts, the signed-in user, the CSRF token."""
    app.add_template_global(i18n.t, "t")
    app.add_template_global(i18n.current_language, "current_language")
    app.add_template_global(csrf.token, "csrf_token")
    app.add_template_global(current_user, "current_user")
    app.add_template_global(accounts.PRESENCES, "PRESENCES")
    app.add_template_global(accounts.LANGUAGES, "LANGUAGES")
    app.add_template_global(nav_links, "nav_links")
    app.add_template_global(i18n.state_text, "state_text")
    app.add_template_global(i18n.state_choices, "state_choices")


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
