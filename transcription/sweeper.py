"""No recording waits forever: queue every pending recording that has no live job.

A job is live when it is queued, scheduled for a retry, or running on a worker that is still
alive. Jobs lost with Redis, or abandoned by a worker killed mid-job, are queued again (the job
is idempotent, so a job that was in fact still running does no harm).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from redis import Redis
from rq import Queue, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, StartedJobRegistry
from sqlalchemy import func, select

from crm_link.contacts import update_interaction
from ivr.db import Database
from transcription import jobs
from voicemail.models import Recording

log = logging.getLogger("transcription")

WAITING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def job_is_live(redis: Redis, job_id: str) -> bool:
    try:
        job = Job.fetch(job_id, connection=redis)
    except NoSuchJobError:
        return False
    status = job.get_status(refresh=False)
    if status in WAITING:
        return True
    if status == JobStatus.STARTED:
        return bool(job.worker_name) and Worker.find_by_key(
            Worker.redis_worker_namespace_prefix + job.worker_name, connection=redis) is not None
    return False


def sweep(db: Database, redis: Redis, queue_name: str = jobs.QUEUE) -> int:
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
        if job_is_live(redis, job_id):
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


def health(db: Database, redis: Redis, queue_name: str = jobs.QUEUE) -> QueueHealth:
    queue = Queue(queue_name, connection=redis)
    with db.session() as session:
        counts = dict(session.execute(select(Recording.status, func.count())
                                      .group_by(Recording.status)).all())
        pending = session.scalars(select(Recording.id).where(Recording.status == "pending")).all()
    orphans = sum(1 for rid in pending if not job_is_live(redis, jobs.job_id(rid)))
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
            if recording.interaction_id is not None:
                update_interaction(session, recording.interaction_id,
                                   text="(transcription queued again)",
                                   metadata={"transcription": "pending", "failure_reason": None})
        ids = [(r.id, r.duration) for r in rows]
    for recording_id, duration in ids:
        failed.remove(jobs.job_id(recording_id), delete_job=True)
        jobs.enqueue(queue, recording_id, duration)
    return len(ids)
