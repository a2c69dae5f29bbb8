"""`ivr recordings`: delete one recording (a person's request) or purge by retention period."""

from __future__ import annotations

import click

from core.cli.base import Context, pass_context
from core.db import Database, utcnow
from voicemail import library
from voicemail.storage import LocalStorage

OPERATOR = library.Listener("cli")


@click.group()
def recordings() -> None:
    """Recording retention and deletion (audio and transcript; audit entries are kept)."""


@recordings.command(name="delete")
@click.argument("recording_id", type=int)
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@pass_context
def delete_command(ctx: Context, recording_id: int, reason: str) -> None:
    """Delete one recording's audio and transcript."""
    settings = ctx.settings
    db = Database(settings.database_url)
    with db.session() as session:
        library.delete_recording(session, LocalStorage(settings.recordings.recordings_dir), recording_id,
                                 OPERATOR, reason, utcnow())
    click.echo(f"recording {recording_id} deleted")


@recordings.command()
@click.option("--older-than", "days", type=click.IntRange(min=1), required=True,
              help="Delete recordings made more than this many days ago.")
@click.option("--reason", default="retention period", show_default=True)
@pass_context
def purge(ctx: Context, days: int, reason: str) -> None:
    """Delete every recording older than the retention period (run it daily from a scheduler)."""
    settings = ctx.settings
    db = Database(settings.database_url)
    storage = LocalStorage(settings.recordings.recordings_dir)
    now = utcnow()
    with db.session() as session:
        ids = library.expired(session, days, now)
    for recording_id in ids:
        with db.session() as session:
            library.delete_recording(session, storage, recording_id, OPERATOR,
                                     f"{reason} ({days} days)", now)
    click.echo(f"{len(ids)} recordings older than {days} days deleted")
