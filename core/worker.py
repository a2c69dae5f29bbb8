"""The worker loop: one RQ worker over every feature's queues, with their start-up work and
periodic tasks.

Start-up order: settings checked, features started (subscriptions), each feature's
`worker_start` (transcription loads its speech model before any job and queues recordings
left without a job), then jobs are taken. Periodic tasks repeat in threads while it works.
SIGTERM (a deploy) lets the current job finish; a job cut off by SIGKILL is queued again.
"""

from __future__ import annotations

import logging
import threading

from redis import Redis
from rq import Queue, Worker

from core import features
from core.runtime import Runtime, install

log = logging.getLogger("core.worker")


def run(rt: Runtime, redis: Redis, *, burst: bool = False) -> bool:
    """Work every feature's queues; in burst mode, drain them and return."""
    install(rt)
    rt.live_sync = True  # a job's work-horse exits right after it: publish before it does
    rt.start()
    loaded = features.load()
    for feature in loaded:
        feature.worker_start(rt)
    stop = threading.Event()
    if not burst:
        for feature in loaded:
            for task in feature.periodic:
                threading.Thread(target=_repeat, args=(rt, task, stop), name=task.name,
                                 daemon=True).start()
    queues = [Queue(name, connection=redis) for f in loaded for name in f.worker_queues]
    worker = Worker(queues, connection=redis,
                    job_monitoring_interval=rt.settings.worker_heartbeat_seconds)
    try:
        return worker.work(burst=burst, with_scheduler=True, logging_level=rt.settings.log_level)
    finally:
        stop.set()


def _repeat(rt: Runtime, task: features.Periodic, stop: threading.Event) -> None:
    """Run `task` every few seconds until the worker stops; a failure waits for the next turn."""
    every = task.every(rt.settings)
    while not stop.wait(every):
        try:
            task.run(rt)
        except Exception:  # noqa: BLE001 -- the next turn tries again; the worker keeps working
            log.exception("%s failed; retrying in %.0f s", task.name, every)
