"""Twilio's webhooks: signed requests in, TwiML out; never a 5xx to a caller's phone."""

from __future__ import annotations

import functools
import logging

from flask import Blueprint, Response, abort, current_app, request, send_from_directory
from redis.exceptions import RedisError
from twilio.request_validator import RequestValidator, compare

from core.web import runtime
from ivr import twiml
from ivr.flows.parse import AUDIO_FILE
from ivr.telephony import CallService, Reply
from transcription import jobs
from voicemail import recordings
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
    if not signature or not _signed(settings.twilio_auth_token, url, params.to_dict(flat=True),
                                    signature):
        log.warning("twilio signature rejected", extra={"path": request.path,
                                                        "signed": bool(signature)})
        abort(403)
    if not params.get("CallSid"):
        abort(400, "CallSid is required")
    _fresh_flows()


def _signed(token: str, url: str, params: dict, signature: str) -> bool:
    """Twilio's check; the URL exactly as configured first (one HMAC instead of validate()'s
    two), then validate()'s with-and-without-port variants."""
    validator = RequestValidator(token)
    return (compare(validator.compute_signature(url, params), signature)
            or validator.validate(url, params, signature))


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
            reply = handler(runtime().db, params, *args, **kwargs)
        except Exception:  # noqa: BLE001 -- the caller must hear something, and we log it all
            log.exception("webhook failed; safe TwiML sent", extra={"path": request.path})
            return Response(_safe(params), mimetype="text/xml")
        if isinstance(reply, Reply):
            publish(reply)
            reply = reply.twiml
        return Response(reply, mimetype="text/xml")

    return wrapper


def publish(reply: Reply) -> None:
    """Live events go out after the commit, so a screen-pop never shows uncommitted data, and
    from a background thread, so the caller never waits on Redis."""
    events = runtime().background_events
    for kind, data in reply.events:
        events.publish(kind, **data)


def _safe(params) -> str:
    try:
        return calls().safe_twiml(params)
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
    return calls().incoming(db, params)


@bp.post("/step")
@twiml_route
def step(db, params):
    return calls().step(db, params, _turn(), request.args.get("on", ""))


@bp.post("/queue/wait")
@twiml_route
def queue_wait(db, params):
    return calls().queue_wait(db, params, _turn())


@bp.post("/fallback/done")
@twiml_route
def fallback_done(_db, _params):
    """After the emergency voicemail: thank the caller and hang up (no state needed)."""
    return twiml.goodbye(None)


@bp.post("/recording")
def recording():
    """Recording status callback: store it (once) with its pending transcription, then queue it."""
    rt = runtime()
    params = request.form.to_dict(flat=True)
    try:
        with rt.db.session() as session:
            rec, new = recordings.receive(session, params, request.args, now=rt.clock(),
                                          region=rt.settings.default_region,
                                          window_days=rt.settings.thread_window_days)
            ref = (rec.id, rec.duration, new and rec.status == "pending")
            filed = {"recording_id": rec.id, "ticket_id": rec.ticket_id,
                     "customer_id": rec.customer_id, "mailbox": rec.mailbox,
                     "call_sid": rec.call_sid} if new and rec.kind == "voicemail" else None
    except VoicemailError as exc:
        abort(400, str(exc))
    recording_id, duration, queue_it = ref
    if filed and filed["ticket_id"]:
        rt.background_events.publish("voicemail.new", **filed)
    if queue_it:
        try:
            jobs.enqueue(rt.queue(jobs.QUEUE), recording_id, duration)
        except RedisError as exc:  # stays pending; the worker's sweeper queues it later
            log.warning("transcription not queued yet", extra={"recording_id": recording_id,
                                                               "error": str(exc)})
    return Response(status=204)


@bp.post("/status")
def status():
    params = request.values.to_dict(flat=True)
    with runtime().db.session() as session:
        reply = calls().status(session, params)
    publish(reply)
    return Response(status=204)


@bp.post("/agent-status")
def agent_status():
    """An agent's leg answered: record who took the call and pop their screen."""
    params = request.values.to_dict(flat=True)
    with runtime().db.session() as session:
        reply = calls().agent_answered(session, params, request.args.get("agent", "")[:64])
    publish(reply)
    return Response(status=204)


@media.get("/media/flows/<name>")
def flow_media(name: str):
    """Prompt audio named in flows (public: Twilio fetches it unsigned, like any <Play> URL)."""
    if not AUDIO_FILE.match(name):
        abort(404)
    return send_from_directory(runtime().settings.flows_dir.resolve(), name, max_age=300)
