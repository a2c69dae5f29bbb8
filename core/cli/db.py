"""`ivr db`: schema migrations with Alembic (run by the Procfile's release phase)."""

from __future__ import annotations

import click

from core import migrate
from core.cli.base import Context, cli, pass_context


@cli.group()
def db() -> None:
    """Database schema migrations."""


@db.command()
@click.argument("revision", default="head")
@pass_context
def upgrade(ctx: Context, revision: str) -> None:
    """Migrate the database at DATABASE_URL to REVISION (default: the newest)."""
    migrate.upgrade(ctx.settings.database_url, revision)
    click.echo(f"database at {migrate.safe_url(ctx.settings.database_url)} is at {revision}")


@db.command()
@pass_context
def current(ctx: Context) -> None:
    """Show the database's migration revision."""
    click.echo(migrate.current(ctx.settings.database_url) or "(empty database)")
