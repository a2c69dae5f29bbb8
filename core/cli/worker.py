"""`ivr worker`: the job worker over every feature's queues, queue health, retrying failures."""

from __future__ import annotations

import click

from core import features, logs
from core import worker as worker_loop
from core.cli.base import Context, cli, pass_context
from core.embedded import embedded_redis
from core.redis_conn import connect
from core.runtime import Runtime


@cli.command()
@click.option("--burst", is_flag=True, help="Drain the queues, then exit.")
@click.option("--status", "show_status", is_flag=True,
              help="Print queued, running, failed and pending-without-job counts, then exit.")
@click.option("--retry-failed", is_flag=True,
              help="Queue failed recordings again (e.g. after fixing the speech model).")
@pass_context
def worker(ctx: Context, burst: bool, show_status: bool, retry_failed: bool) -> None:
    """Run the worker (RQ on REDIS_URL); the speech model is loaded once, before any job."""
    settings = ctx.settings.check()
    logs.configure(settings.log_format, settings.log_level)
    with embedded_redis(settings) as embedded_url:
        url = embedded_url or settings.redis_url
        rt = Runtime(settings.with_(redis_url=url), live_sync=True)
        if show_status or retry_failed:
            for feature in features.load():
                if retry_failed and (said := feature.retry_failed(rt)):
                    click.echo(said)
                for line in feature.worker_status(rt):
                    click.echo(line)
            return
        worker_loop.run(rt, connect(url, timeout=10), burst=burst)
