"""Liveness and readiness probes for the PaaS router and load balancers."""

from __future__ import annotations

from flask import Blueprint, jsonify

from core.web import runtime

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Alive: the process answers; no dependency is checked."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready: the database and Redis answer and the flows are loaded."""
    rt = runtime()
    checks = {"database": _check(rt.db.ping), "redis": _check(_redis_ping(rt))}
    for name, probe in rt.readiness_probes.items():
        checks[name] = probe()
    ready = all(check["ok"] for check in checks.values())
    return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503


def _redis_ping(rt):
    def ping():
        if rt.redis is None:
            raise RuntimeError("REDIS_URL is not configured")
        rt.redis.ping()
    return ping


def _check(fn) -> dict:
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 -- a probe reports any failure as not ready
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": True}
