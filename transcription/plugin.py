"""Offline transcription: RQ jobs that turn recordings into text with Vosk."""

from core.features import Feature, Periodic
from transcription import (
    events,  # noqa: F401 -- its event kinds are known to every process
    jobs,
    worker,
)

feature = Feature(
    name="transcription",
    start=worker.subscribe,
    worker_queues=(jobs.QUEUE,),
    worker_start=worker.start_worker,
    periodic=(Periodic("recording sweep", lambda s: s.transcription.worker_sweep_seconds,
                       worker.sweep),),
    worker_status=worker.status,
    retry_failed=worker.retry_failed,
)
