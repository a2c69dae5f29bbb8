"""Webhooks of the desk's calls (signed like every /twilio route): the TwiML App's Voice URL
where agents' browsers call out, the dialed customer's leg, and the rooms' events."""

from __future__ import annotations

import logging

from flask import Response, abort, current_app, request

from ivr.flows.actions import Speak
from ivr.twilio import twiml
from ivr.voice.control import ControlRefused
from ivr.voice.outbound import CallRefused
from ivr.voice.service import VoiceService
from ivr.web.twilio import bp
from ivr.web.twilio_acd import rt_urls

log = logging.getLogger("ivr.voice")
FINAL = {"completed", "busy", "no-answer", "failed", "canceled"}
REFUSED = {"ja-JP": "この電話はおかけできません。", "en-US": "This call cannot be placed."}


def voice() -> VoiceService:
    return current_app.extensions["voice"]


def _call_id() -> int:
    try:
        return int(request.args.get("call", ""))
    except ValueError:
        abort(400, "call must be a number")


@bp.post("/client")
def client():
    """An agent's browser places a call: `To` in any format, `ticket` and `queue` optional.
    Anyone who is not an active agent, or a number we cannot call, dials nothing."""
    form = request.form
    identity = form.get("From", "").removeprefix("client:")
    if form.get("monitor"):
        return _monitor(identity, form)
    try:
        ticket = int(form["ticket"]) if form.get("ticket") else None
    except ValueError:
        ticket = None
    try:
        placed = voice().placed(identity, form.get("To", ""), form["CallSid"],
                                ticket_id=ticket, queue=form.get("queue") or None)
    except CallRefused as exc:
        log.warning("desk call refused", extra={"identity": identity, "reason": exc.reason,
                                                "error": str(exc)})
        language = "en-US" if form.get("lang") == "en" else "ja-JP"
        refusal = Speak(REFUSED[language], language, None)
        return Response(twiml.goodbye(refusal), mimetype="text/xml")
    return Response(twiml.agent_room(placed.room, rt_urls()), mimetype="text/xml")


def _monitor(identity: str, form) -> Response:
    """A supervisor's browser joins an agent's call to listen, whisper or barge."""
    try:
        joining = voice().monitor_joined(identity, int(form["monitor"]),
                                         form.get("mode", "listen"), form["CallSid"])
    except (ControlRefused, ValueError) as exc:
        log.warning("monitoring refused", extra={"identity": identity, "error": str(exc)})
        return Response(twiml.goodbye(None), mimetype="text/xml")
    return Response(twiml.monitor_room(joining.room, joining.muted, joining.coach),
                    mimetype="text/xml")


@bp.post("/outbound/answer")
def customer_answer():
    """The dialed customer picked up: the recording notice, then the agent's room."""
    answer = voice().answered(_call_id(), request.form["CallSid"])
    if answer is None:
        return Response(twiml.goodbye(None), mimetype="text/xml")
    notice = None
    if answer.notice is not None:
        words, language = answer.notice.pick(answer.language, "ja-JP")
        notice = Speak(words, language, None)
    return Response(twiml.customer_room(notice, answer.room, rt_urls()), mimetype="text/xml")


@bp.post("/outbound/status")
def customer_status():
    status = request.form.get("CallStatus", "")
    if status in FINAL:
        try:
            duration = int(request.form.get("CallDuration") or 0)
        except ValueError:
            duration = 0
        voice().customer_ended(_call_id(), request.form["CallSid"], status, duration)
    return Response(status=204)


@bp.post("/transfer/status")
def transfer_status():
    """A party rung into a desk call's room answered, did not, or left."""
    voice().transfer_status(_call_id(), request.form["CallSid"],
                            request.form.get("CallStatus", ""))
    return Response(status=204)


@bp.post("/conference")
def conference():
    """A room's events: its id when it starts; the desk call ends when the agent leaves."""
    room = request.args.get("room", "")
    voice().conference(room, request.form.get("StatusCallbackEvent", ""),
                       request.form.get("ConferenceSid", ""), request.form.get("CallSid", ""))
    return Response(status=204)
