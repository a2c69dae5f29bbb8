"""Desk routes for ticket assignment: move or take a ticket, and see the teams' load.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, request

from core.accounts import User
from core.errors import AppError, UnknownUser
from core.web import runtime
from core.web.errors import error_answer
from core.web.security import (
    current_user,
    login_required,
    protect_pages,
    role_required,
    safe_next,
    wants_json,
)
from desk.assignment import team_overview
from desk.assignment_reassign import AlreadyTaken, NotAllowed, TicketNotFound, reassign
from desk.auto_assign import AutoAssign

bp = protect_pages(Blueprint("desk_assignment", __name__))
STATUS = {TicketNotFound: 404, NotAllowed: 403, AlreadyTaken: 409, UnknownUser: 400}


@bp.post("/desk/tickets/<int:ticket_id>/assign")
@login_required
def assign(ticket_id: int):
    """Give the ticket to `username` (form field or JSON); no username means "take it myself"."""
    actor = current_user()
    username = _field("username").strip() or actor.username
    try:
        with runtime().db.session() as session:
            move = reassign(session, ticket_id, username, session.get(User, actor.id),
                            runtime().clock())
    except AppError as exc:
        return error_answer(str(exc), STATUS.get(type(exc), 400))
    if wants_json():
        return jsonify(move.to_dict())
    return redirect(safe_next(request.form.get("next"), f"/desk/tickets/{ticket_id}"))


@bp.get("/desk/assignment")
@role_required("supervisor")
def overview():
    """The rules in force (and the file's error, if it is broken) and each team's load, as JSON."""
    auto = runtime().service(AutoAssign)
    rules = auto.rules.current()
    with runtime().db.session() as session:
        teams = team_overview(session, rules)
    return jsonify(source=rules.source, error=auto.rules.error, default_team=rules.default_team,
                   rules=[{"line": r.line, "team": r.team, "when": r.describe()}
                          for r in rules.rules],
                   teams=teams)


def _field(name: str) -> str:
    body = request.get_json(silent=True) if request.is_json else None
    value = body.get(name) if isinstance(body, dict) else request.form.get(name)
    return value if isinstance(value, str) else ""
