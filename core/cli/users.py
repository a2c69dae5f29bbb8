"""`ivr users`: add, list and administer desk accounts from the shell."""

from __future__ import annotations

import sys

import click

from core import accounts
from core.cli.base import Context, cli, pass_context
from core.db import utcnow

PASSWORD_STDIN_HELP = "Read the password from the first line of standard input (for scripts)."


@cli.group()
def users() -> None:
    """Desk accounts: agents, supervisors and admins."""


def _password(from_stdin: bool) -> str:
    """A new password: hidden prompt typed twice, or one line of stdin; never an argument."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(accounts.ROLES), default="agent", show_default=True)
@click.option("--name", "display_name", help="Display name (default: the username).")
@click.option("--email")
@click.option("--language", type=click.Choice(accounts.LANGUAGES), default="ja",
              show_default=True)
@click.option("--queue", "queues", multiple=True, help="A queue the user serves (repeatable).")
@click.option("--dial", help="How calls are offered: client:NAME, sip:USER@HOST or +E164.")
@click.option("--max-open", type=int, default=accounts.DEFAULT_MAX_OPEN_TICKETS,
              show_default=True, help="Open tickets before round-robin skips this user.")
@click.option("--password-stdin", is_flag=True, help=PASSWORD_STDIN_HELP)
@pass_context
def add(ctx: Context, username: str, role: str, display_name: str | None, email: str | None,
        language: str, queues: tuple[str, ...], dial: str | None, max_open: int,
        password_stdin: bool) -> None:
    """Create the account USERNAME."""
    with ctx.session() as session:
        accounts.new_username(session, username)  # refuse before asking for a password
        user = accounts.create_user(
            session, username, _password(password_stdin), role=role,
            display_name=display_name, email=email, language=language, queues=queues,
            dial=dial, max_open_tickets=max_open)
        click.echo(f"created {user.role} {user.username!r}")


@users.command("list")
@pass_context
def list_(ctx: Context) -> None:
    """Show every account, one per line."""
    with ctx.session() as session:
        rows = [_row(user) for user in accounts.list_users(session)]
    if not rows:
        click.echo("(no users)")
        return
    header = ("username", "role", "name", "lang", "presence", "queues", "dial", "state")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def _row(user: accounts.User) -> tuple[str, ...]:
    now = utcnow()
    state = "disabled" if not user.active else (
        f"locked until {user.locked_until:%Y-%m-%d %H:%M}Z" if user.is_locked(now) else "active")
    return (user.username, user.role, user.display_name, user.language, user.presence,
            ",".join(user.queues or []) or "-", user.dial or "-", state)


@users.command("set")
@click.argument("username")
@click.option("--role", type=click.Choice(accounts.ROLES))
@click.option("--queue", "queues", multiple=True,
              help="The queues the user serves, replacing the current ones (repeatable).")
@click.option("--no-queues", is_flag=True, help="Serve no queue.")
@click.option("--dial", help="How calls are offered: client:NAME, sip:USER@HOST or +E164; "
                              "'' clears it.")
@click.option("--max-open", type=int, help="Open tickets before round-robin skips this user.")
@pass_context
def set_(ctx: Context, username: str, role: str | None, queues: tuple[str, ...],
         no_queues: bool, dial: str | None, max_open: int | None) -> None:
    """Change how USERNAME takes work (role, queues, dial target, open-ticket cap)."""
    with ctx.session() as session:
        user = accounts.get_user(session, username)
        changed = accounts.update_agent(user, role=role, dial=dial, max_open_tickets=max_open,
                                        queues=() if no_queues else (queues or None))
    click.echo(f"{user.username!r}: " + (", ".join(changed) + " changed" if changed
                                         else "nothing to change"))


@users.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help=PASSWORD_STDIN_HELP)
@pass_context
def set_password(ctx: Context, username: str, password_stdin: bool) -> None:
    """Replace USERNAME's password (this also unlocks it and signs out its sessions)."""
    with ctx.session() as session:
        user = accounts.get_user(session, username)
        accounts.set_password(user, _password(password_stdin))
    click.echo(f"password of {user.username!r} changed")


@users.command("unlock")
@click.argument("username")
@pass_context
def unlock(ctx: Context, username: str) -> None:
    """Lift a lock-out after repeated failed sign-ins."""
    with ctx.session() as session:
        user = accounts.get_user(session, username)
        accounts.unlock(user)
    click.echo(f"{user.username!r} unlocked")


@users.command("disable")
@click.argument("username")
@pass_context
def disable(ctx: Context, username: str) -> None:
    """Refuse USERNAME's sign-ins and end its sessions; the account and its history stay."""
    with ctx.session() as session:
        user = accounts.get_user(session, username)
        accounts.disable(user)
    click.echo(f"{user.username!r} disabled")
