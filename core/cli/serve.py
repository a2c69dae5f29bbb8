"""`ivr serve`: the web app under gunicorn, as in production."""

from __future__ import annotations

import os

import click
from gunicorn.app.base import BaseApplication

from core import gunicorn_conf
from core.cli.base import Context, cli, pass_context
from core.embedded import embedded_redis
from core.web.app import create_app


class _Gunicorn(BaseApplication):
    """Gunicorn with our config module, serving the app factory."""

    def __init__(self, overrides: dict):
        self.overrides = overrides
        super().__init__()

    def load_config(self):
        for key, value in vars(gunicorn_conf).items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)
        for key, value in self.overrides.items():
            self.cfg.set(key, value)

    def load(self):
        return create_app()  # called in each worker after fork: no shared connections


@cli.command()
@click.option("--port", type=int, help="Port to bind (default: $PORT or 8000).")
@click.option("--workers", type=int, help="Web processes (default: $WEB_CONCURRENCY or 2).")
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
@pass_context
def serve(ctx: Context, port: int | None, workers: int | None, reload: bool) -> None:
    """Serve the web app (Twilio webhooks, API, agent desk) with gunicorn."""
    settings = ctx.settings.check()
    overrides = {"bind": f"0.0.0.0:{port or settings.port}", "reload": reload}
    if workers:
        overrides["workers"] = workers
    with embedded_redis(settings) as redis_url:
        if redis_url:
            os.environ["REDIS_URL"] = redis_url
        _Gunicorn(overrides).run()
