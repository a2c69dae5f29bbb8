"""What a worker process does for transcription besides running jobs.

Before its first job it loads the speech models (once per worker; forked work-horses inherit
them) and queues every pending recording that has no live job; while it works it repeats that
sweep every WORKER_SWEEP_SECONDS. Web processes queue a recording's job as soon as its report
is committed (`queue_received`).
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from core.runtime import Runtime
from transcription import jobs, sweeper
from transcription.errors import TranscriptionError
from transcription.recognizer import ModelCache
from voicemail.events import RecordingReceived

log = logging.getLogger("transcription")


def preload(rt: Runtime) -> None:
    """Load every configured model now; a missing model is logged, and jobs then fail visibly."""
    models = rt.service(ModelCache)
    section = rt.settings.transcription
    paths = {p for p in [section.vosk_model_path, *section.vosk_models.values()] if p is not None}
    if not paths:
        log.warning("no speech model configured (VOSK_MODEL_PATH): recordings will be "
                    "marked failed until one is set")
    for path in sorted(paths, key=str):
        try:
            models.get(path)
            log.info("speech model loaded", extra={"model": str(path)})
        except TranscriptionError as exc:
            log.error("speech model unusable", extra={"model": str(path), "error": str(exc)})


def start_worker(rt: Runtime) -> None:
    """Before the first job: models loaded, recordings without a live job queued."""
    preload(rt)
    sweep(rt)


def sweep(rt: Runtime) -> int:
    return sweeper.sweep(rt.db, rt.redis, heartbeat_seconds=rt.settings.worker_heartbeat_seconds)


def subscribe(rt: Runtime) -> None:
    """Queue a recording's job once its report is committed (any process)."""

    def queue_received(event: RecordingReceived) -> None:
        try:
            jobs.enqueue(rt.queue(jobs.QUEUE), event.recording_id, event.duration)
        except RedisError as exc:  # stays pending; the worker's sweeper queues it later
            log.warning("transcription not queued yet", extra={
                "recording_id": event.recording_id, "error": str(exc)})

    rt.bus.subscribe(RecordingReceived, queue_received)


def status(rt: Runtime) -> list[str]:
    return sweeper.health(rt.db, rt.redis,
                          heartbeat_seconds=rt.settings.worker_heartbeat_seconds).lines()


def retry_failed(rt: Runtime) -> str:
    return f"{sweeper.retry_failed(rt.db, rt.redis)} failed recordings queued again"
