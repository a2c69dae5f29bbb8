"""The ticket page: timeline, email reply with templates, internal notes, status and assignee,
and the viewing/replying presence that keeps two agents from answering the same customer twice."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, url_for

from core.web import runtime
from core.web.errors import error_answer
from core.web.security import current_user, login_required, protect_pages, wants_json
from crm_link.errors import CrmError, NotFound
from desk import ticket_work
from desk.assignment_reassign import AlreadyTaken, AssignmentError, NotAllowed, TicketNotFound
from desk.collision import ReplyCollision, TicketPresence
from desk.mailer import MailError, MailNotConfigured, mailer_for
from desk.reply_templates import TemplateError, load_templates
from desk.web import texts as _texts  # noqa: F401 -- registers the desk's messages

bp = protect_pages(Blueprint("desk_tickets", __name__, url_prefix="/desk/tickets"))
PRESENCE_STATES = ("viewing", "replying", "idle", "leave")


def _presence() -> TicketPresence | None:
    rt = runtime()
    return TicketPresence(rt.redis, rt.events) if rt.redis is not None else None


@bp.get("/<int:ticket_id>")
@login_required
def show(ticket_id: int):
    rt = runtime()
    template_error = None
    try:
        templates = load_templates(rt.settings.telephony.flows_dir)
    except TemplateError as exc:  # a broken templates file must not hide the ticket
        templates, template_error = [], str(exc)
    try:
        with rt.db.session() as db:
            page = ticket_work.load_page(db, ticket_id, current_user(), templates)
    except NotFound as exc:
        return _answer(str(exc), 404)
    presence = _presence()
    viewers = presence.mark("viewing", ticket_id, current_user().username) if presence else []
    replying = presence.others_replying(ticket_id, current_user().username) if presence else []
    return render_template("desk/ticket.html", page=page, ticket=page.ticket, viewers=viewers,
                           replying=replying, template_error=template_error)


@bp.get("/<int:ticket_id>/timeline")
@login_required
def timeline(ticket_id: int):
    """The conversation alone, re-fetched by the page when the ticket changes."""
    rt = runtime()
    with rt.db.session() as db:
        try:
            page = ticket_work.load_page(db, ticket_id, current_user(), [])
        except NotFound as exc:
            return _answer(str(exc), 404)
    return render_template("desk/_timeline.html", entries=page.entries)


@bp.post("/<int:ticket_id>/reply")
@login_required
def reply(ticket_id: int):
    """Send an email reply; refused (409) while another agent is replying, unless confirmed."""
    user, rt, presence = current_user(), runtime(), _presence()
    confirmed = request.form.get("confirm") in ("1", "on", "true")
    try:
        others = presence.others_replying(ticket_id, user.username) if presence else []
        if others and not confirmed:
            raise ReplyCollision(ticket_id, others)
        mailer = mailer_for(rt.settings.desk.smtp_url, rt.settings.desk.smtp_from)
        with rt.db.session() as db:
            ticket_work.reply(db, ticket_id, user, request.form.get("text", ""),
                              sender=mailer.sender, send=mailer.send, now=rt.clock())
    except ReplyCollision as exc:
        return _answer(str(exc), 409, replying=exc.others)
    except NotFound as exc:
        return _answer(str(exc), 404)
    except CrmError as exc:
        return _answer(str(exc), 400)
    except MailNotConfigured as exc:
        return _answer(str(exc), 503)
    except MailError as exc:
        return _answer(str(exc), 502)
    if presence:
        presence.clear("replying", ticket_id, user.username)
    return _changed(ticket_id, "replied")


@bp.post("/<int:ticket_id>/note")
@login_required
def note(ticket_id: int):
    rt = runtime()
    try:
        with rt.db.session() as db:
            ticket_work.add_note(db, ticket_id, current_user(), request.form.get("text", ""),
                                 rt.clock())
    except NotFound as exc:
        return _answer(str(exc), 404)
    except CrmError as exc:
        return _answer(str(exc), 400)
    return _changed(ticket_id, "noted")


@bp.post("/<int:ticket_id>/update")
@login_required
def update(ticket_id: int):
    """Status and assignee from the ticket's side form."""
    try:
        with runtime().db.session() as db:
            ticket_work.change(db, ticket_id, current_user(), status=request.form.get("status"),
                               assignee=request.form.get("assignee"), now=runtime().clock())
    except (NotFound, TicketNotFound) as exc:
        return _answer(str(exc), 404)
    except NotAllowed as exc:
        return _answer(str(exc), 403)
    except AlreadyTaken as exc:
        return _answer(str(exc), 409)
    except (CrmError, AssignmentError) as exc:
        return _answer(str(exc), 400)
    return _changed(ticket_id, "updated")


@bp.post("/<int:ticket_id>/presence")
@login_required
def presence(ticket_id: int):
    """Heartbeats from the page: viewing, replying (typing), idle (stopped typing), leave."""
    state = request.form.get("state", "")
    if state not in PRESENCE_STATES:
        return _answer(f"{state!r} is not a presence state ({', '.join(PRESENCE_STATES)}).", 400)
    tracker, username = _presence(), current_user().username
    if tracker is None:
        return jsonify(viewing=[], replying=[])
    if state == "leave":
        tracker.leave(ticket_id, username)
    elif state == "idle":
        tracker.clear("replying", ticket_id, username)
    else:
        tracker.mark("viewing", ticket_id, username)
        if state == "replying":
            tracker.mark("replying", ticket_id, username)
    return jsonify(viewing=tracker.who("viewing", ticket_id),
                   replying=tracker.who("replying", ticket_id))


def _changed(ticket_id: int, what: str):
    """Answer the form or the script (the service announced the change to every open page)."""
    if wants_json():
        return jsonify(ticket_id=ticket_id, done=what)
    return redirect(url_for("desk_tickets.show", ticket_id=ticket_id))


def _answer(message: str, status: int, **extra):
    return error_answer(message, status, **extra)
