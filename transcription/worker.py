"""`ivr worker`: an RQ worker that loads the speech model once and never leaves a recording behind.

Start-up order: settings checked, model loaded (before any job), pending recordings without a
live job queued, then jobs taken. A sweep repeats every WORKER_SWEEP_SECONDS while the worker runs.
SIGTERM (a deploy) lets the current job finish; a job cut off by SIGKILL is queued again.
"""

from __future__ import annotations

import logging
import threading

from redis import Redis
from rq import Queue, Worker

from core.settings import Settings
from transcription import context, jobs, sweeper

log = logging.getLogger("transcription")

def run(settings: Settings, redis: Redis, *, burst: bool = False,
        ctx: context.WorkerContext | None = None) -> bool:
    """Work the transcription queue; in burst mode, drain it and return."""
    ctx = context.install(ctx or context.WorkerContext(settings))
    ctx.preload()
    heartbeat = settings.worker_heartbeat_seconds
    sweeper.sweep(ctx.db, redis, heartbeat_seconds=heartbeat)
    stop = threading.Event()
    if not burst:
        threading.Thread(target=_sweep_forever, args=(ctx, redis, stop, settings.worker_sweep_seconds),
                         name="sweeper", daemon=True).start()
    worker = Worker([Queue(jobs.QUEUE, connection=redis)], connection=redis,
                    job_monitoring_interval=heartbeat)
    try:
        return worker.work(burst=burst, with_scheduler=True, logging_level=settings.log_level)
    finally:
        stop.set()


def _sweep_forever(ctx: context.WorkerContext, redis: Redis, stop: threading.Event,
                   every: float) -> None:
    """Catch recordings whose job was lost while this worker runs (Redis restarted, say)."""
    while not stop.wait(every):
        try:
            sweeper.sweep(ctx.db, redis, heartbeat_seconds=ctx.settings.worker_heartbeat_seconds)
        except Exception:  # noqa: BLE001 -- the next sweep tries again; the worker keeps working
            log.exception("sweep failed; retrying in %.0f s", every)
