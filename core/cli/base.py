"""The root `ivr` command group and the lazily-read settings every subcommand shares."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import click
from sqlalchemy.orm import Session

from core.db import Database
from core.errors import AppError
from core.settings import Settings


class Context:
    """Settings read lazily, so `ivr --help` and `ivr flows validate` need no secrets."""

    def __init__(self):
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = Settings.from_env()
        return self._settings

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A committed-on-success session on DATABASE_URL, its engine closed afterwards."""
        db = Database(self.settings.database_url, pool_size=1)
        try:
            with db.session() as session:
                yield session
        finally:
            db.dispose()


pass_context = click.make_pass_decorator(Context, ensure=True)


class Group(click.Group):
    """A click group that shows our own errors as one sentence and exit status 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AppError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ivr-contact-center")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Contact-center IVR server: Twilio webhooks, flows, transcription workers."""
    ctx.ensure_object(Context)
