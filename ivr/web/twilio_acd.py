"""The distributor's Twilio webhooks (signed like every /twilio route): an agent's leg answers
or ends, and the waiting caller comes out of the queue into the agent's room."""

from __future__ import annotations

from flask import Response, abort, current_app, request

from core.web import runtime
from ivr.acd.service import AcdService
from ivr.calls import lifecycle
from ivr.calls.service import Reply
from ivr.flows.actions import Speak
from ivr.flows.phrases import phrase
from ivr.twilio import twiml
from ivr.voice.service import VoiceService
from ivr.web.twilio import bp, calls, twiml_route

FINAL = {"completed", "busy", "no-answer", "failed", "canceled"}
LANGUAGES = {"ja": "ja-JP", "en": "en-US"}


def acd() -> AcdService:
    return current_app.extensions["acd"]


def voice() -> VoiceService:
    return current_app.extensions["voice"]


def _offer() -> int:
    try:
        return int(request.args.get("offer", ""))
    except ValueError:
        abort(400, "offer must be a number")


@bp.post("/acd/answer")
@twiml_route
def agent_answer(db, params):
    """The agent picked up: they join the room the caller is redirected to; their screen pops."""
    answered = acd().answered(_offer(), params["CallSid"])
    if answered is None:  # offer over already (caller left, or a duplicate request)
        return Reply(twiml.goodbye(None))
    if answered.room is None and not answered.dial:  # the caller hung up a moment ago
        return Reply(twiml.goodbye(_said(answered.language, "agent_caller_gone")))
    with db.session() as session:   # the agent's desk pops the caller's record
        if answered.dial:
            events = lifecycle.callback_answered(session, answered.call_sid or "",
                                                 answered.username)
        else:
            events = lifecycle.agent_answered(session, answered.call_sid or "",
                                              answered.username, runtime().clock())
    if answered.dial:  # a call-back: the customer is dialed into the agent's room
        placed = voice().callback(answered, params["CallSid"])
        return Reply(twiml.agent_room(placed.room, rt_urls(),
                                      _said(answered.language, "agent_callback")), events)
    return Reply(twiml.agent_room(answered.room, rt_urls()), events)


@bp.post("/acd/agent")
def agent_leg():
    """Status of an agent's leg: its end decides missed (next agent) or wrap-up."""
    status = request.form.get("CallStatus", "")
    if status in FINAL:
        acd().leg_ended(_offer(), status)
    return Response(status=204)


@bp.post("/acd/callback")
@twiml_route
def callback_dialed(db, params):
    """The customer of a call-back answered or not: noted, retried later if not. (Call-backs
    now dial the customer into the agent's room; this serves calls placed before that.)"""
    reached = acd().callback_result(_offer(), params.get("DialCallStatus", "failed"))
    if reached:
        return Reply(twiml.goodbye(None))
    language = request.args.get("lang", "ja")
    return Reply(twiml.goodbye(_said(language, "agent_callback_missed")))


def _said(language: str, key: str) -> Speak:
    words, spoken = phrase(key).pick(LANGUAGES.get(language, "ja-JP"), "ja-JP")
    return Speak(words, spoken, None)


def rt_urls() -> twiml.Urls:
    return twiml.Urls(runtime().settings.public_base_url)


@bp.post("/acd/bridge")
@twiml_route
def bridge(db, params):
    """The caller, redirected out of the queue by the agent's answer, joins the agent's room."""
    room = acd().room_for(_offer(), params["CallSid"])
    if room is None:
        abort(409, "this offer is not for this call")
    return calls().bridged(db, params["CallSid"], room)
