"""`ivr worker`: transcription worker, queue health, and retrying failed recordings."""

from __future__ import annotations

import click

from core import logs
from core.cli.base import Context, cli, pass_context
from core.db import Database
from core.embedded import embedded_redis
from core.redis_conn import connect
from transcription import sweeper
from transcription import worker as transcription_worker


@cli.command()
@click.option("--burst", is_flag=True, help="Drain the queue, then exit.")
@click.option("--status", "show_status", is_flag=True,
              help="Print queued, running, failed and pending-without-job counts, then exit.")
@click.option("--retry-failed", is_flag=True,
              help="Queue failed recordings again (e.g. after fixing the speech model).")
@pass_context
def worker(ctx: Context, burst: bool, show_status: bool, retry_failed: bool) -> None:
    """Run the transcription worker (RQ on REDIS_URL), loading the Vosk model once."""
    settings = ctx.settings.check()
    logs.configure(settings.log_format, settings.log_level)
    with embedded_redis(settings) as embedded_url:
        redis = connect(embedded_url or settings.redis_url, timeout=10)
        if show_status or retry_failed:
            db = Database(settings.database_url)
            if retry_failed:
                click.echo(f"{sweeper.retry_failed(db, redis)} failed recordings queued again")
            for line in sweeper.health(db, redis, heartbeat_seconds=settings.worker_heartbeat_seconds
                                       ).lines():
                click.echo(line)
            return
        transcription_worker.run(settings.with_(redis_url=embedded_url or settings.redis_url),
                                 redis, burst=burst)
