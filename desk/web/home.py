"""The agent desk: the inbox page, the live event stream with screen-pops, and pop actions."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import redis
from flask import Blueprint, jsonify, redirect, render_template, request, url_for

from core.web import runtime
from core.web.i18n import current_language, state_text, t
from core.web.security import current_user, login_required, protect_pages, wants_json
from core.web.sse import stream
from crm_link.errors import CrmError, IdentityConflict
from crm_link.phones import national_format
from desk import inbox, presence, screenpop
from desk.errors import InvalidChoice
from desk.web import texts as _texts  # noqa: F401 -- registers the desk's messages
from desk.web import voice_texts as _voice_texts  # noqa: F401

bp = protect_pages(Blueprint("desk", __name__))
bp.add_app_template_global(inbox.waited_text, "waited_text")
ZONES = {"ja": ZoneInfo("Asia/Tokyo"), "en": ZoneInfo("UTC")}
PASSED_ON = ("ticket.viewing", "ticket.replying", "ticket.changed")  # ids and usernames only


@bp.app_template_filter("desk_time")
def desk_time(moment) -> str:
    """Times in Japan time for Japanese pages, UTC for English ones, with the zone named."""
    zone = ZONES.get(current_language(), ZONES["ja"])
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


@bp.get("/")
def index():
    """The site's root is the desk; sign-in happens on the way if needed."""
    return redirect("/desk")


@bp.get("/desk")
@login_required
def home():
    """The inbox: one folder, optionally one channel."""
    user, rt = current_user(), runtime()
    folder = request.args.get("folder", "mine")
    channel = request.args.get("channel") or None
    settings = rt.settings
    thresholds = inbox.Thresholds(settings.desk.inbox_amber_minutes, settings.desk.inbox_red_minutes)
    try:
        with rt.db.session() as db:
            rows = inbox.list_folder(db, folder, user.id, channel=channel, now=rt.clock(),
                                     thresholds=thresholds)
            counts = inbox.counts(db, user.id)
    except InvalidChoice as exc:
        return str(exc), 400, {"Content-Type": "text/plain; charset=utf-8"}
    return render_template("desk/home.html", rows=rows, counts=counts, folder=folder,
                           channel=channel, folders=inbox.FOLDERS, channels=inbox.CHANNELS)


@bp.get("/desk/events")
@login_required
def events():
    """This agent's live stream: their own screen-pops and state, and ticket presence."""
    username = current_user().username

    def wanted(event: dict) -> dict | None:
        if event.get("kind") in PASSED_ON:
            return event
        if event.get("kind") == "agent.presence":   # the header follows the calls
            if event.get("username") != username:
                return None
            return {"kind": "agent.state", "status": event["presence"],
                    "reason": event.get("reason"),
                    "text": state_text(event["presence"], event.get("reason"))}
        if event.get("kind") == "voice.call":       # the softphone follows its call
            return _voice_call(event) if event.get("username") == username else None
        stage = screenpop.pop_stage(event, username)
        if stage is None:
            return None
        html = _pop_html(event["call_sid"], stage)
        return {"kind": "screen.pop", "call_sid": event["call_sid"], "stage": stage,
                "html": html} if html else None

    rt = runtime()
    client = rt.redis
    if client is None:
        return _refuse("Live events need Redis (REDIS_URL is not set).", 503)
    try:
        subscription = rt.live_hub.open()   # listening before the page hears "ready"
    except redis.RedisError:
        return _refuse("Live events are unavailable right now (Redis does not answer).", 503)
    return stream(subscription, wanted, first=[{"kind": "stream.ready"}],
                  alive=lambda: presence.alive(client, username, rt.clock()))


def _voice_call(event: dict) -> dict:
    """An agent's call for their softphone: the number as they write it, refusals in words."""
    region = runtime().settings.default_region
    number = event.get("number")
    text = None
    if event.get("status") in ("refused", "failed"):
        text = t("voice.refused." + event["reason"]) if event.get("status") == "refused" \
            and event.get("reason") not in ("bad_number", "no_ticket", "no_caller_id") \
            else t("voice.failed")
    elif (event.get("reason") or "").startswith("transfer_"):
        text = t("voice.transfer.failed")
    return {**event, "display": national_format(number, region) if number else None,
            "text": text}


def _pop_html(call_sid: str, stage: str) -> str | None:
    """The pop rendered on the server (autoescaped), ready for the page to insert."""
    with runtime().db.session() as db:
        pop = screenpop.build_pop(db, call_sid, stage)
        return render_template("desk/_pop.html", pop=pop) if pop else None


@bp.post("/desk/calls/<call_sid>/customer")
@login_required
def new_customer(call_sid: str):
    """'New customer' on an unknown caller's pop."""
    return _pop_action(call_sid, lambda db, region: screenpop.new_customer_for_call(
        db, call_sid, request.form.get("name", ""), region))


@bp.post("/desk/calls/<call_sid>/link")
@login_required
def link_customer(call_sid: str):
    """'Link to existing' on an unknown caller's pop: the number joins that customer."""
    raw = request.form.get("customer_id", "").strip().lstrip("#")
    if not raw.isdigit():
        return _refuse(f"{raw!r} is not a customer number; give digits such as 42.")
    return _pop_action(call_sid, lambda db, region: screenpop.link_call_to(
        db, call_sid, int(raw), region))


def _pop_action(call_sid: str, act):
    """Run a pop action for a call this agent was offered or answered; answer with the new pop."""
    rt = runtime()
    try:
        with rt.db.session() as db:
            if not screenpop.may_act(db, call_sid, current_user()):
                return _refuse(f"Call {call_sid} was not offered to you.", 403)
            act(db, rt.settings.default_region)
    except IdentityConflict as exc:
        return _refuse(str(exc), 409)
    except CrmError as exc:
        return _refuse(str(exc), 400)
    html = _pop_html(call_sid, "answered")
    if wants_json():
        return jsonify(call_sid=call_sid, html=html)
    return redirect(url_for("desk.home"))


def _refuse(message: str, status: int = 400):
    if wants_json():
        return jsonify(error=message), status
    return message, status, {"Content-Type": "text/plain; charset=utf-8"}
