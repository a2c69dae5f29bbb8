"""The softphone's server side: access tokens for the agent's browser, a check before a call
is placed, and the agent's actions on their own call (hold, recording pause, wrap-up)."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select

from core.accounts import User
from core.web import runtime
from core.web.i18n import current_language, t
from core.web.security import current_user, login_required, protect_pages
from crm_link.phones import national_format
from desk.web import voice_texts as _texts  # noqa: F401 -- the softphone's messages
from ivr.errors import IvrError
from ivr.voice.control import ControlRefused, current, latest
from ivr.voice.outbound import CallRefused
from ivr.voice.service import VoiceService

log = logging.getLogger("desk.voice")
bp = protect_pages(Blueprint("voice", __name__))
LANGUAGES = {"ja": "ja-JP", "en": "en-US"}


def voice() -> VoiceService:
    return current_app.extensions["voice"]


CLIENT_TEXTS = ("ready", "not_taking", "ringing", "dialing", "connected", "on_hold", "ended",
                "failed", "mute", "unmute", "hold", "resume", "pause", "unpause",
                "recording_paused", "mic_denied", "mic_missing", "token_failed", "connection",
                "error", "saved", "transfer.ringing", "transfer.answered", "transfer.joined",
                "transfer.failed", "transfer.done", "monitoring", "wrap_up")


def softphone_texts() -> dict[str, str]:
    """What softphone.js shows, in the page's language."""
    texts = {name: t("voice." + name) for name in CLIENT_TEXTS}
    texts["error"] = t("voice.error", code="{code}")
    return texts


def softphone_off() -> str | None:
    """Why the softphone cannot work here, in the page's language (None: it can)."""
    missing = runtime().settings.twilio.softphone_missing
    return t("voice.off", names=", ".join(missing)) if missing else None


@bp.get("/desk/voice/token")
@login_required
def token():
    """A Voice SDK access token for the signed-in agent's own client identity."""
    reason = softphone_off()
    if reason:
        return jsonify(error=reason), 503
    return jsonify(voice().token(current_user()).to_dict())


@bp.post("/desk/voice/dial")
@login_required
def dial():
    """Before the browser calls out: may this agent call this number, and from which of ours."""
    to = (request.form.get("to") or "").strip()
    try:
        plan = voice().prepare(current_user().id, to, ticket_id=_int("ticket"),
                               queue=request.form.get("queue") or None)
    except CallRefused as exc:
        return jsonify(error=refusal_text(exc.reason, exc.values), reason=exc.reason), 409
    region = runtime().settings.default_region
    return jsonify(to=plan.number, display=national_format(plan.number, region),
                   caller_id=plan.caller_id, queue=plan.queue, ticket=plan.ticket_id)


@bp.get("/desk/voice/call")
@login_required
def call():
    """The agent's call now (or their latest, for its wrap-up) and the dispositions it takes."""
    user = current_user()
    with runtime().db.session() as session:
        row = current(session, user.id) or latest(session, user.id)
        return jsonify(call=_call(row), dispositions=_dispositions(row.queue if row else None))


@bp.post("/desk/voice/hold")
@login_required
def hold():
    return _control(lambda svc, uid: svc.hold(uid, request.form.get("hold") == "1"))


@bp.post("/desk/voice/recording")
@login_required
def recording():
    return _control(lambda svc, uid: svc.pause_recording(uid, request.form.get("paused") == "1"))


@bp.post("/desk/voice/wrap-up")
@login_required
def wrap_up():
    return _control(lambda svc, uid: svc.wrap_up(uid, request.form.get("disposition") or None,
                                                 request.form.get("note") or ""))


@bp.post("/desk/voice/transfer")
@login_required
def transfer():
    """Ring an agent or a number into the call: cold, warm (consult first) or as a third party."""
    form = request.form
    return _control(lambda svc, uid: svc.transfer(uid, form.get("kind", ""),
                                                  form.get("target", ""), form.get("mode", "")))


@bp.post("/desk/voice/transfer/complete")
@login_required
def complete_transfer():
    return _control(lambda svc, uid: svc.complete_transfer(uid))


@bp.post("/desk/voice/transfer/cancel")
@login_required
def cancel_transfer():
    return _control(lambda svc, uid: svc.cancel_transfer(uid))


@bp.post("/desk/voice/monitor")
@login_required
def monitor():
    """Before a supervisor's browser joins an agent's call: may they, and the params to pass."""
    call_id, mode = _int("call"), request.form.get("mode", "listen")
    try:
        voice().monitor_check(current_user().id, call_id or 0, mode)
    except ControlRefused as exc:
        return jsonify(error=t("voice.refused." + exc.reason), reason=exc.reason), 409
    return jsonify(params={"monitor": str(call_id), "mode": mode})


@bp.post("/desk/voice/monitor/mode")
@login_required
def monitor_mode():
    try:
        mode = voice().monitor_mode(current_user().id, request.form.get("mode", ""))
    except ControlRefused as exc:
        return jsonify(error=t("voice.refused." + exc.reason), reason=exc.reason), 409
    except IvrError:
        log.exception("the carrier refused a monitoring change")
        return jsonify(error=t("voice.refused.carrier"), reason="carrier"), 502
    return jsonify(mode=mode)


@bp.get("/desk/voice/agents")
@login_required
def agents():
    """Who a call can go to: the other active agents, available ones first."""
    me = current_user().id
    with runtime().db.session() as session:
        rows = session.scalars(select(User).where(User.active.is_(True), User.id != me)
                               .order_by(User.display_name)).all()
        found = [{"username": u.username, "name": u.display_name, "state": u.presence,
                  "available": u.presence == "available"} for u in rows]
        queues = sorted({q for u in rows for q in (u.queues or [])})
    return jsonify(agents=sorted(found, key=lambda a: not a["available"]), queues=queues)


def _control(action):
    user: User = current_user()
    try:
        row = action(voice(), user.id)
    except ControlRefused as exc:
        return jsonify(error=t("voice.refused." + exc.reason), reason=exc.reason), 409
    except IvrError:
        log.exception("the carrier refused a desk call action")
        return jsonify(error=t("voice.refused.carrier"), reason="carrier"), 502
    return jsonify(call=_call(row))


def refusal_text(reason: str, values: dict) -> str:
    """A CallRefused reason in the page's language."""
    return t("voice.refused." + reason, **{k: v for k, v in values.items()
                                            if k in ("number", "ticket", "queue")})


def _dispositions(queue: str | None) -> list[dict]:
    language = LANGUAGES.get(current_language(), "ja-JP")
    codes = voice().queues().dispositions_for(queue)
    return [{"code": code, "label": label.pick(language, "ja-JP")[0]}
            for code, label in codes.items()]


def _call(row) -> dict | None:
    if row is None:
        return None
    region = runtime().settings.default_region
    return {"id": row.id, "direction": row.direction, "status": row.status,
            "number": row.number, "display": national_format(row.number, region) if row.number else None,
            "ticket": row.ticket_id, "on_hold": row.on_hold, "recorded": bool(row.recording_sid),
            "recording_paused": row.recording_paused, "disposition": row.disposition,
            "wrapped": row.wrapped_at is not None,
            "transfer": _transfer(row.transfer),
            "connected_at": row.connected_at.isoformat() if row.connected_at else None}


def _transfer(transfer: dict | None) -> dict | None:
    if not transfer:
        return None
    return {k: transfer.get(k) for k in ("mode", "kind", "target", "status")}


def national_phone(e164: str) -> str:
    """Template global: a number as people of our region write it (E.164 on hover)."""
    return national_format(e164, runtime().settings.default_region)


def _int(name: str) -> int | None:
    value = request.form.get(name) or request.args.get(name)
    try:
        return int(value) if value else None
    except ValueError:
        return None

