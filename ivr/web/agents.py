"""Agents in the JSON API: who is in which state, since when, serving which queues.

GET /api/agents, GET /api/agents/<username>, PUT /api/agents/<username>/status with
{"status": "available"} or {"status": "break", "reason": "休憩"} (offline, available and break
only; the other states follow the calls, and a change during a call is a 409).
"""

from __future__ import annotations

import json

from flask import Blueprint, jsonify, request

from core import accounts, agent_states
from core.errors import InvalidValue, UnknownUser
from core.web import runtime
from core.web.auth import require_bearer

bp = require_bearer(Blueprint("agents", __name__, url_prefix="/api/agents"))


def agent_view(user: accounts.User) -> dict:
    return {"username": user.username, "name": user.display_name, "status": user.presence,
            "reason": user.presence_reason, "since": user.presence_changed_at.isoformat(),
            "queues": list(user.queues or [])}


@bp.get("")
def list_agents():
    with runtime().db.session() as session:
        return jsonify(agents=[agent_view(u) for u in accounts.list_agents(session)])


@bp.get("/<username>")
def get_agent(username: str):
    with runtime().db.session() as session:
        return jsonify(agent_view(_agent(session, username)))


@bp.put("/<username>/status")
def put_status(username: str):
    body = _json_object()
    status, reason = body.get("status"), body.get("reason")
    if not isinstance(status, str) or not isinstance(reason, (str, type(None))):
        raise InvalidValue("Give status as text (offline, available or break) and, for a "
                           "break, reason as text.", field="status")
    rt = runtime()
    with rt.db.session() as session:
        user = _agent(session, username)
        agent_states.set_by_hand(user, status, reason, rt.clock())
        session.flush()
        return jsonify(agent_view(user))


def _agent(session, username: str) -> accounts.User:
    user = accounts.find_user(session, username)
    if user is None or not user.active:
        raise UnknownUser(f"There is no active agent named {username!r}.",
                                   field="username")
    return user


def _json_object() -> dict:
    if not request.is_json:
        raise InvalidValue(f"Send JSON with Content-Type: application/json, not "
                           f"{request.mimetype or 'none'!r}.")
    try:
        body = json.loads(request.get_data(cache=False) or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidValue(f"The body is not valid JSON ({exc}).") from None
    if not isinstance(body, dict):
        raise InvalidValue("The body must be a JSON object such as {\"status\": \"available\"}.")
    return body
