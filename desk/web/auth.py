"""Sign-in and sign-out pages, and the account switches (language, presence) in the page header."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, session, url_for

from core import accounts, agent_states
from core.db import utcnow
from core.errors import AppError
from core.web import i18n, runtime
from core.web.errors import error_answer
from core.web.security import (
    current_user,
    end_session,
    login_required,
    protect_pages,
    safe_next,
    start_session,
    wants_json,
)

# The page layout (base.html), its stylesheet and scripts live with this blueprint, which is
# always registered; the other features' pages extend that layout.
bp = protect_pages(Blueprint("auth", __name__, template_folder="templates",
                             static_folder="static", static_url_path="/desk/static"))

HOME = "/desk"


@bp.get("/login")
def login():
    """The sign-in form; a signed-in visitor goes straight on."""
    if current_user() is not None:
        return redirect(safe_next(request.args.get("next"), HOME))
    return render_template("login.html", next=request.args.get("next", ""))


@bp.post("/login")
def login_submit():
    """Check the password; on success start a fresh session and go to a local `next` only."""
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    with runtime().db.session() as db:
        user = accounts.authenticate(db, username, password, utcnow())
    if user is None:
        return render_template("login.html", next=request.form.get("next", ""),
                               username=username, failed=True), 401
    start_session(user)
    return redirect(safe_next(request.form.get("next"), HOME))


@bp.post("/logout")
def logout():
    """End the session and go offline, so no more calls are offered to this browser's agent."""
    user = current_user()
    if user is not None:
        try:
            with runtime().db.session() as db:
                agent_states.set_by_hand(db.get(accounts.User, user.id), "offline", now=utcnow())
        except agent_states.StateRefused:  # on a call: the call goes on; the desk's heartbeat
            pass                           # takes the agent offline once it ends
    end_session()
    return redirect(url_for("auth.login"))


@bp.post("/account/language")
def set_language():
    """Switch language: the user's setting when signed in, else this browser's session."""
    language = _field("language")
    user = current_user()
    try:
        if user is None:
            accounts.check_choice("language", language, accounts.LANGUAGES)
            session[i18n.LANGUAGE_KEY] = language
        else:
            with runtime().db.session() as db:
                accounts.set_language(db.get(accounts.User, user.id), language)
            user.language = language
    except AppError as exc:
        return _bad_request(exc)
    if wants_json():
        return jsonify(language=language)
    return redirect(safe_next(request.form.get("next"), HOME))


@bp.post("/account/presence")
@login_required
def set_presence():
    """The signed-in agent's state (offline, available, or break with a reason), from a form
    (`presence=break:休憩`) or a JSON body ({"presence": "break", "reason": "休憩"})."""
    user = current_user()
    status, _, reason = _field("presence").partition(":")
    try:
        with runtime().db.session() as db:
            row = db.get(accounts.User, user.id)
            agent_states.set_by_hand(row, status, reason or _field("reason"), utcnow())
    except AppError as exc:
        return error_answer(str(exc), exc.http_status)
    user.presence, user.presence_reason = row.presence, row.presence_reason
    user.presence_changed_at = row.presence_changed_at
    if wants_json():
        return jsonify(presence=row.presence, reason=row.presence_reason,
                       presence_changed_at=row.presence_changed_at.isoformat())
    return redirect(safe_next(request.form.get("next"), HOME))


def _field(name: str) -> str:
    """A value from a JSON body or a form, as our own scripts or plain forms send it."""
    body = request.get_json(silent=True) if request.is_json else None
    value = body.get(name) if isinstance(body, dict) else request.form.get(name)
    return value if isinstance(value, str) else ""


def _bad_request(exc: AppError):
    return error_answer(str(exc), 400)
