"""RQ jobs for recordings: enqueued by name with the recording's id, safe to run twice.

A job claims a pending recording, downloads its audio once, transcribes it, and attaches the
text to the caller's ticket in one transaction guarded by the recording's status, so a job
that runs twice (a retry after a crash) never attaches two transcripts. Permanent errors mark
the recording failed at once; transient ones retry with backoff and mark it failed after the
last try. Either way the exception reaches RQ's failed-job registry.
"""

from __future__ import annotations

import logging
from pathlib import Path

from rq import Queue, Retry, get_current_job
from sqlalchemy import select

from core import runtime as process
from core.db import utcnow
from core.events import emit
from core.runtime import Runtime
from transcription.download import DownloadPolicy, download_recording
from transcription.errors import is_permanent
from transcription.events import RecordingTranscribed
from transcription.pipeline import Transcript as Decoded
from transcription.pipeline import transcribe_file
from transcription.recognizer import ModelCache
from voicemail.models import Recording, Transcript
from voicemail.recordings import note_on_timeline
from voicemail.storage import LocalStorage

log = logging.getLogger("transcription")

JOB = "transcription.jobs.transcribe_recording"
QUEUE = "transcription"
# Transient failures (download, database, disk) retry with growing pauses; permanent ones don't.
RETRY_INTERVALS = [15, 60, 300, 900, 3600]
MAX_ATTEMPTS = len(RETRY_INTERVALS) + 3  # crashes the registry never saw (SIGKILL) count too


def job_id(recording_id: int) -> str:
    return f"transcribe-{recording_id}"


def timeout_for(duration_seconds: int) -> int:
    """Job time limit from the audio length: decoding runs at a fraction of real time."""
    return 120 + 3 * max(duration_seconds, 0)


def enqueue(queue: Queue, recording_id: int, duration_seconds: int) -> str:
    job = queue.enqueue(JOB, recording_id, job_id=job_id(recording_id),
                        job_timeout=timeout_for(duration_seconds),
                        retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
                        result_ttl=24 * 3600, failure_ttl=30 * 24 * 3600,
                        description=f"transcribe recording {recording_id}")
    return job.id


def storage(rt: Runtime) -> LocalStorage:
    """Where this process keeps recording audio (RECORDINGS_DIR)."""
    return LocalStorage(rt.settings.recordings.recordings_dir)


def transcribe_recording(recording_id: int) -> dict:
    """The job: pending recording -> audio in storage -> transcript on the caller's timeline."""
    rt = process.current()
    claimed = _claim(rt, recording_id)
    if claimed is None:
        return {"recording_id": recording_id, "skipped": "not pending"}
    try:
        path = _audio(rt, claimed)
        decoded = transcribe_file(
            path, rt.service(ModelCache),
            model_path=rt.settings.transcription.model_path_for(claimed.language),
            language=claimed.language,
            speakers=("caller",) if claimed.kind == "voicemail" else ("caller", "agent"))
    except Exception as exc:  # recorded on the recording for agents, then re-raised for RQ
        _record_failure(rt, recording_id, exc)
        raise
    return _attach(rt, recording_id, decoded)


def _claim(rt: Runtime, recording_id: int) -> Recording | None:
    """Count the attempt; None when there is nothing to do (done, failed, discarded, gone)."""
    with rt.db.session() as session:
        recording = session.get(Recording, recording_id)
        if recording is None or recording.status != "pending":
            return None
        recording.attempts += 1
        recording.job_id = job_id(recording_id)
        if recording.attempts > MAX_ATTEMPTS:
            _fail(session, recording, f"Transcription was attempted {recording.attempts - 1} "
                                      "times without finishing (the worker kept stopping).")
            return None
        session.flush()
        session.expunge(recording)
        return recording


def _audio(rt: Runtime, recording: Recording) -> Path:
    """The recording's audio on local disk, downloaded from Twilio the first time only."""
    key = recording.storage_key or (f"{recording.created_at:%Y/%m}/"
                                    f"{recording.recording_sid}.wav")
    store = storage(rt)
    if not store.exists(key):
        twilio = rt.settings.twilio
        saved = download_recording(recording.source_url, store, key,
                                   auth=(twilio.twilio_account_sid, twilio.twilio_auth_token),
                                   policy=DownloadPolicy.from_settings(rt.settings.recordings))
        with rt.db.session() as session:
            row = session.get(Recording, recording.id)
            row.storage_key, row.size_bytes = saved.key, saved.size
    return store.local_path(key)


def _attach(rt: Runtime, recording_id: int, decoded: Decoded) -> dict:
    with rt.db.session() as session:
        recording = session.scalar(select(Recording).where(Recording.id == recording_id)
                                   .with_for_update())
        if recording.status != "pending":  # another run finished first: attach nothing
            return {"recording_id": recording_id, "skipped": recording.status}
        data = decoded.to_dict()
        session.add(Transcript(
            recording_id=recording_id, text=decoded.text, words=data["words"],
            turns=data["turns"], language=decoded.language, model=decoded.model, duration=decoded.duration,
            processing_seconds=decoded.processing_seconds))
        recording.status, recording.transcribed_at = "transcribed", utcnow()
        recording.failure_reason = recording.last_error = None
        note_on_timeline(session, recording, text=decoded.text or "",
                         metadata={"transcription": "transcribed", "model": decoded.model,
                                   "language": decoded.language})
        emit(session, RecordingTranscribed(recording_id, recording.ticket_id,
                                           recording.customer_id))
    log.info("recording transcribed", extra={"recording_id": recording_id,
                                             "seconds": round(decoded.duration, 1),
                                             "processing": round(decoded.processing_seconds, 2)})
    return {"recording_id": recording_id, "words": len(decoded.words),
            "duration": decoded.duration}


def _record_failure(rt: Runtime, recording_id: int, exc: BaseException) -> None:
    """Permanent errors fail the recording now (no retry); transient ones on the last try."""
    job = get_current_job()
    last_try = job is None or not job.retries_left
    if is_permanent(exc) and job is not None:
        job.retries_left = 0  # retrying cannot help; RQ records the failure once
    reason = str(exc) or type(exc).__name__
    with rt.db.session() as session:
        recording = session.get(Recording, recording_id)
        if recording is None or recording.status != "pending":
            return
        if is_permanent(exc) or last_try:
            _fail(session, recording, reason)
            return
        recording.last_error = reason  # still pending: the retry is scheduled, the reason shown
        note_on_timeline(session, recording,
                         metadata={"transcription": "retrying", "last_error": reason})
    log.warning("transcription will be retried", extra={"recording_id": recording_id,
                                                        "error": reason})


def _fail(session, recording: Recording, reason: str) -> None:
    """Failed is a final, visible state: agents read the reason on the ticket."""
    recording.status, recording.failure_reason = "failed", reason
    note_on_timeline(session, recording, text=f"(transcription failed: {reason})",
                     metadata={"transcription": "failed", "failure_reason": reason})
    log.error("recording failed", extra={"recording_id": recording.id, "reason": reason})
