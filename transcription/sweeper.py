"""No recording waits forever: queue every pending recording that has no live job.

A job is live when it is queued, scheduled for a retry, or running on a worker whose heartbeat
is fresh (a killed worker's key outlives it in Redis, so its existence proves nothing). Jobs
lost with Redis, or abandoned by a worker killed mid-job, are queued again; the job is
idempotent, so one that was in fact still running does no harm.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from redis import Redis
from rq import Queue, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, StartedJobRegistry
from sqlalchemy import func, select

from core.db import Database
from transcription import jobs
from voicemail.models import Recording
from voicemail.recordings import note_on_timeline

log = logging.getLogger("transcription")

WAITING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
STALE_HEARTBEATS = 3  # missed heartbeats before a running job's worker counts as dead


def job_is_live(redis: Redis, job_id: str, heartbeat_seconds: int = 10) -> bool:
    try:
        job = Job.fetch(job_id, connection=redis)
    except NoSuchJobError:
        return False
    status = job.get_status(refresh=False)
    if status in WAITING:
        return True
    if status != JobStatus.STARTED or not job.worker_name:
        return False
    worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + job.worker_name,
                                connection=redis)
    if worker is None or worker.last_heartbeat is None:
        return False
    silent = (dt.datetime.now(dt.UTC) - worker.last_heartbeat.replace(tzinfo=dt.UTC))
    return silent.total_seconds() < STALE_HEARTBEATS * heartbeat_seconds


def sweep(db: Database, redis: Redis, queue_name: str = jobs.QUEUE,
          heartbeat_seconds: int = 10) -> int:
    """Queue pending recordings without a live job; return how many were queued."""
    queue = Queue(queue_name, connection=redis)
    started = StartedJobRegistry(queue=queue)
    with db.session() as session:
        pending = session.execute(select(Recording.id, Recording.duration)
                                  .where(Recording.status == "pending")
                                  .order_by(Recording.id)).all()
    queued = 0
    for recording_id, duration in pending:
        job_id = jobs.job_id(recording_id)
        if job_is_live(redis, job_id, heartbeat_seconds):
            continue
        _forget_abandoned(started, redis, job_id)
        jobs.enqueue(queue, recording_id, duration)
        queued += 1
    if queued:
        log.info("pending recordings queued", extra={"count": queued})
    return queued


def _forget_abandoned(started: StartedJobRegistry, redis: Redis, job_id: str) -> None:
    """A run whose worker died is over: drop it from the started registry before re-queueing."""
    try:
        started.remove_executions(Job.fetch(job_id, connection=redis))
    except NoSuchJobError:
        pass


@dataclass(frozen=True)
class QueueHealth:
    queued: int
    running: int
    failed_jobs: int
    pending_without_job: int
    recordings: dict[str, int]

    def lines(self) -> list[str]:
        by_status = ", ".join(f"{k} {v}" for k, v in sorted(self.recordings.items())) or "none"
        return [f"queued jobs:             {self.queued}",
                f"running jobs:            {self.running}",
                f"failed jobs (RQ):        {self.failed_jobs}",
                f"pending without a job:   {self.pending_without_job}",
                f"recordings by status:    {by_status}"]


def health(db: Database, redis: Redis, queue_name: str = jobs.QUEUE,
           heartbeat_seconds: int = 10) -> QueueHealth:
    queue = Queue(queue_name, connection=redis)
    with db.session() as session:
        counts = dict(session.execute(select(Recording.status, func.count())
                                      .group_by(Recording.status)).all())
        pending = session.scalars(select(Recording.id).where(Recording.status == "pending")).all()
    orphans = sum(1 for rid in pending
                  if not job_is_live(redis, jobs.job_id(rid), heartbeat_seconds))
    return QueueHealth(queued=queue.count, running=StartedJobRegistry(queue=queue).count,
                       failed_jobs=FailedJobRegistry(queue=queue).count,
                       pending_without_job=orphans, recordings=counts)


def retry_failed(db: Database, redis: Redis, queue_name: str = jobs.QUEUE) -> int:
    """Give failed recordings another go (e.g. after installing a missing model)."""
    queue = Queue(queue_name, connection=redis)
    failed = FailedJobRegistry(queue=queue)
    with db.session() as session:
        rows = session.scalars(select(Recording).where(Recording.status == "failed")).all()
        for recording in rows:
            recording.status, recording.attempts, recording.failure_reason = "pending", 0, None
            note_on_timeline(session, recording, text="(transcription queued again)",
                             metadata={"transcription": "pending", "failure_reason": None})
        ids = [(r.id, r.duration) for r in rows]
    for recording_id, duration in ids:
        failed.remove(jobs.job_id(recording_id), delete_job=True)
        jobs.enqueue(queue, recording_id, duration)
    return len(ids)
