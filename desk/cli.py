"""`ivr assignment`: check the ticket assignment rules, show the teams' load, assign waiting tickets."""

from __future__ import annotations

from pathlib import Path

import click

from core.cli.base import Context, pass_context
from core.db import utcnow
from core.events import Events
from core.redis_conn import connect
from desk.assignment import assign_waiting, team_overview
from desk.assignment_rules import DEFAULT_RULES, FILE_NAME, Rules, load_rules


@click.group()
def assignment() -> None:
    """Ticket assignment rules (FLOWS_DIR/assignment.yaml) and round-robin."""


def _rules_path(ctx: Context, path: Path | None) -> Path:
    path = path if path is not None else ctx.settings.telephony.flows_dir
    return path / FILE_NAME if path.is_dir() else path


def _describe(rules: Rules) -> str:
    default = rules.default_team or "none (unmatched tickets stay unassigned)"
    return (f"{len(rules.teams)} team(s), {len(rules.rules)} rule(s), "
            f"default team {default}")


@assignment.command("validate")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@pass_context
def validate(ctx: Context, path: Path | None) -> None:
    """Check PATH (a rules file or a folder; default: FLOWS_DIR); print file:line: message."""
    target = _rules_path(ctx, path)
    if not target.exists():
        if path is not None and not path.is_dir():
            raise click.ClickException(f"There is no file {str(target)!r}.")
        click.echo(f"{target}: no rules file; the built-in default is used "
                   f"({_describe(DEFAULT_RULES)}: every active agent, one team).")
        return
    rules = load_rules(target)  # AssignmentRulesError: every problem, exit status 1
    click.echo(f"{target}: ok, {_describe(rules)}.")


@assignment.command("show")
@click.option("--rules", "path", type=click.Path(path_type=Path),
              help="Rules file or folder (default: FLOWS_DIR).")
@pass_context
def show(ctx: Context, path: Path | None) -> None:
    """List each team's members with presence, open tickets and cap, and the rules in order."""
    rules = _load(ctx, path)
    with ctx.session() as session:
        teams = team_overview(session, rules)
    click.echo(f"Rules: {rules.source} ({_describe(rules)})")
    for rule in rules.rules:
        click.echo(f"  line {rule.line}: {rule.describe()} -> {rule.team}")
    for team, members in teams.items():
        names = ", ".join(str(m) for m in rules.teams[team])
        click.echo(f"Team {team} ({names}):")
        if not members:
            click.echo("  (nobody: tickets for this team wait unassigned)")
        for m in members:
            state = "takes tickets" if m["takes_tickets"] else "skipped"
            click.echo(f"  {m['username']:<20} {m['presence']:<10} "
                       f"{m['open_tickets']}/{m['max_open_tickets']} open  {state}")


@assignment.command("sweep")
@click.option("--rules", "path", type=click.Path(path_type=Path),
              help="Rules file or folder (default: FLOWS_DIR).")
@pass_context
def sweep(ctx: Context, path: Path | None) -> None:
    """Assign waiting (open, unassigned) tickets now, as far as the teams have room."""
    rules = _load(ctx, path)
    with ctx.session() as session:
        done = assign_waiting(session, rules, utcnow())
    events = Events(connect(ctx.settings.redis_url) if ctx.settings.redis_url else None)
    for item in done:
        events.publish("ticket.changed", ticket_id=item.ticket_id, change="assigned",
                       assignee=item.assignee, team=item.team)
        click.echo(f"#{item.ticket_id} -> {item.assignee} (team {item.team})")
    click.echo(f"{len(done)} ticket(s) assigned.")


def _load(ctx: Context, path: Path | None) -> Rules:
    target = _rules_path(ctx, path)
    return load_rules(target) if target.exists() else DEFAULT_RULES
