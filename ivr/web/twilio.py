"""Twilio's webhooks: signed requests in, TwiML out; never a 5xx to a caller's phone.

The Flask edge of the Twilio adapter: each route checks the signature, reads the form with
ivr.twilio.params into a provider-neutral report, hands it to the call service, answers its
reply and publishes the reply's events once the writes are done.
"""

from __future__ import annotations

import functools
import logging

from flask import Blueprint, Response, abort, current_app, request, send_from_directory

from core.events import Event
from core.web import runtime
from ivr.calls import lifecycle
from ivr.calls.service import CallService, Reply
from ivr.flows.parse import AUDIO_FILE
from ivr.twilio import params as twilio_params
from ivr.twilio import twiml
from ivr.twilio.signature import signed
from voicemail.errors import VoicemailError

log = logging.getLogger("ivr.twilio")

bp = Blueprint("twilio", __name__, url_prefix="/twilio")
media = Blueprint("media", __name__)


def calls() -> CallService:
    return current_app.extensions["calls"]


@bp.before_request
def require_signature():
    """Refuse anything Twilio did not sign for exactly this URL: 403, nothing written."""
    settings = runtime().settings
    url = settings.public_base_url + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("utf-8", "replace")
    params = request.form if request.method == "POST" else request.args
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signed(settings.twilio.twilio_auth_token, url, params.to_dict(flat=True), signature):
        log.warning("twilio signature rejected", extra={"path": request.path,
                                                        "signed": bool(signature)})
        abort(403)
    if not params.get("CallSid") and not (request.path == "/twilio/conference"
                                          and params.get("ConferenceSid")):
        abort(400, "CallSid is required")
    _fresh_flows()


def _fresh_flows() -> None:
    """Pick up flow edits and archive new revisions before the request's transaction opens."""
    registry = current_app.extensions["flows"]
    try:
        registry.current()
        registry.archive_pending()
    except Exception:  # noqa: BLE001 -- the request still runs on the flows already loaded
        log.exception("flow reload failed")


def twiml_route(handler):
    """Run a webhook on the database (the call service decides its transactions); on any
    failure answer safe TwiML, not a 5xx."""

    @functools.wraps(handler)
    def wrapper(*args, **kwargs):
        params = request.values.to_dict(flat=True)
        try:
            reply: Reply = handler(runtime().db, params, *args, **kwargs)
        except Exception:  # noqa: BLE001 -- the caller must hear something, and we log it all
            log.exception("webhook failed; safe TwiML sent", extra={"path": request.path})
            return Response(_safe(params), mimetype="text/xml")
        publish(reply.events)
        return Response(reply.body, mimetype="text/xml")

    return wrapper


def publish(events: list[Event]) -> None:
    """After the writes: live events go out from a background thread (the caller never waits
    on Redis), so a screen-pop never shows uncommitted data."""
    bus = runtime().bus
    for item in events:
        bus.publish(item)


def _safe(params) -> str:
    try:
        return calls().safe_reply(params.get("To", ""))
    except Exception:  # noqa: BLE001 -- even the flows may be unusable: hang up politely
        log.exception("safe TwiML failed; hanging up")
        return twiml.goodbye(None)


def _turn() -> int:
    try:
        return int(request.args.get("t", ""))
    except ValueError:
        abort(400, "t (turn) must be a number")


@bp.route("/voice", methods=["POST", "GET"])
@twiml_route
def voice(db, params):
    return calls().incoming(db, twilio_params.arrival(params))


@bp.post("/step")
@twiml_route
def step(db, params):
    answer = twilio_params.answer(request.args.get("on", ""), params)
    return calls().step(db, params["CallSid"], _turn(), answer)


@bp.post("/queue/wait")
@twiml_route
def queue_wait(db, params):
    return calls().queue_wait(db, twilio_params.queue_wait(params), _turn())


@bp.post("/queue/key")
@twiml_route
def queue_key(db, params):
    """A key pressed while waiting (the wait music listens when a call-back is offered)."""
    return calls().queue_key(db, params["CallSid"], params.get("Digits", "")[:8], _turn())


@bp.post("/fallback/done")
@twiml_route
def fallback_done(_db, _params):
    """After the emergency voicemail: thank the caller and hang up (no state needed)."""
    return Reply(twiml.goodbye(None))


@bp.post("/recording")
def recording():
    """Recording status callback: stored once with its pending transcription (queued once
    committed, by the transcription feature)."""
    rt = runtime()
    report = twilio_params.recording(request.form.to_dict(flat=True), request.args)
    try:
        with rt.db.session() as session:
            lifecycle.recording(session, report, rt.clock(), rt.settings)
    except VoicemailError as exc:
        abort(400, str(exc))
    return Response(status=204)


@bp.post("/status")
def status():
    rt = runtime()
    report = twilio_params.status(request.values.to_dict(flat=True))
    with rt.db.session() as session:
        events = lifecycle.status(session, report, rt.clock())
    publish(events)
    return Response(status=204)


@media.get("/media/flows/<name>")
def flow_media(name: str):
    """Prompt audio named in flows (public: Twilio fetches it unsigned, like any <Play> URL)."""
    if not AUDIO_FILE.match(name):
        abort(404)
    return send_from_directory(runtime().settings.telephony.flows_dir.resolve(), name,
                               max_age=300)
