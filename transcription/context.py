"""What a worker process holds for its jobs: settings, database, storage and loaded models.

Built once, before jobs run, so the Vosk model is loaded once per worker; forked work-horses
inherit it (copy-on-write) and only re-open their database connections.
"""

from __future__ import annotations

import logging
import os

from core.db import Database
from core.settings import Settings
from transcription.errors import TranscriptionError
from transcription.recognizer import ModelCache
from voicemail.storage import LocalStorage, RecordingStorage

log = logging.getLogger("transcription")


class WorkerContext:
    def __init__(self, settings: Settings, *, storage: RecordingStorage | None = None):
        self.settings = settings
        self.db = Database(settings.database_url, pool_size=2)
        self.storage = storage or LocalStorage(settings.recordings_dir)
        self.models = ModelCache()
        self.pid = os.getpid()

    def preload(self) -> None:
        """Load the default model now; a missing model is logged, and jobs then fail visibly."""
        paths = {p for p in [self.settings.vosk_model_path, *self.settings.vosk_models.values()]
                 if p is not None}
        if not paths:
            log.warning("no speech model configured (VOSK_MODEL_PATH): recordings will be "
                        "marked failed until one is set")
        for path in sorted(paths, key=str):
            try:
                self.models.get(path)
                log.info("speech model loaded", extra={"model": str(path)})
            except TranscriptionError as exc:
                log.error("speech model unusable", extra={"model": str(path), "error": str(exc)})

    def for_this_process(self) -> WorkerContext:
        """After a fork, pooled connections belong to the parent: open fresh ones here."""
        if os.getpid() != self.pid:
            self.db.engine.dispose(close=False)
            self.pid = os.getpid()
        return self


_current: WorkerContext | None = None


def install(context: WorkerContext) -> WorkerContext:
    global _current
    _current = context
    return context


def current() -> WorkerContext:
    """The worker's context; built from the environment if a plain `rq worker` runs our jobs."""
    global _current
    if _current is None:
        _current = WorkerContext(Settings.from_env().check())
    return _current.for_this_process()
