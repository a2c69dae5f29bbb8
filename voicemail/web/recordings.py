"""Recording audio for the agent desk and the API: authorized, with HTTP Range for players."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, jsonify, make_response, request, send_file
from sqlalchemy import select

from core.web import runtime
from core.web.auth import bearer_ok
from core.web.security import csrf, current_user
from voicemail import library
from voicemail.errors import VoicemailError
from voicemail.models import Transcript
from voicemail.storage import LocalStorage, StorageError

log = logging.getLogger("voicemail")

bp = Blueprint("recordings", __name__, url_prefix="/recordings")


def _listener() -> library.Listener:
    """The API token, or a signed-in agent; anyone else gets 401 (never a public URL)."""
    if bearer_ok():
        return library.Listener("api")
    user = current_user()
    if user is None:
        abort(401)
    if request.method not in ("GET", "HEAD") and (refused := csrf.check()) is not None:
        abort(make_response(refused))
    return library.Listener(user.username, user.id, user.role, tuple(user.queues or ()))


def _storage() -> LocalStorage:
    return LocalStorage(runtime().settings.recordings.recordings_dir)


@bp.get("/<int:recording_id>")
def audio(recording_id: int):
    """The audio; Range requests are answered 206 so players can seek."""
    listener = _listener()
    rt = runtime()
    with rt.db.session() as session:
        recording = _visible(session, listener, recording_id)
        if not recording.storage_key:
            abort(404, "The audio of this recording is not stored (yet, or any more).")
        if request.headers.get("Range", "bytes=0-").startswith("bytes=0-"):  # not a seek
            library.audit(session, recording_id, "played", listener, rt.clock())
        path = _storage().local_path(recording.storage_key)
    if path is None or not path.exists():
        abort(404, "The audio file is missing from storage.")
    # absolute: Flask would resolve a relative RECORDINGS_DIR against the package, not the cwd
    response = send_file(path.resolve(), mimetype="audio/wav", conditional=True, etag=True,
                         max_age=0, download_name=f"recording-{recording_id}.wav")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<int:recording_id>/transcript")
def transcript(recording_id: int):
    listener = _listener()
    with runtime().db.session() as session:
        recording = _visible(session, listener, recording_id)
        text = session.scalar(select(Transcript).where(Transcript.recording_id == recording_id))
        return jsonify(recording_id=recording_id, status=recording.status,
                       failure_reason=recording.failure_reason, duration=recording.duration,
                       text=text.text if text else None, words=text.words if text else [],
                       turns=text.turns if text else [], model=text.model if text else None)


@bp.delete("/<int:recording_id>")
def remove(recording_id: int):
    """Delete audio and transcript (supervisors, admins, or the API), keeping an audit entry."""
    listener = _listener()
    if not listener.sees_everything:
        abort(403)
    reason = (request.get_json(silent=True) or {}).get("reason") or request.form.get("reason", "")
    rt = runtime()
    try:
        with rt.db.session() as session:
            library.delete_recording(session, _storage(), recording_id, listener, reason,
                                     rt.clock())
    except library.RecordingNotFound as exc:
        return jsonify(error=str(exc)), 404
    except (VoicemailError, StorageError) as exc:
        return jsonify(error=str(exc), field="reason"), 400
    log.info("recording deleted", extra={"recording_id": recording_id, "by": listener.name})
    return "", 204


def _visible(session, listener: library.Listener, recording_id: int):
    try:
        recording = library.get_recording(session, recording_id)
    except library.RecordingNotFound:
        abort(404)
    if not library.may_hear(session, listener, recording):
        abort(403)
    return recording


def install(app, _runtime) -> None:
    """Mount the recordings blueprint (called by the app factory)."""
    app.register_blueprint(bp)
