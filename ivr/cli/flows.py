"""`ivr flows`: validate, simulate and publish the schema of flow files, for supervisors and CI."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ivr.cli.base import Context, cli, pass_context
from ivr.flows import schema
from ivr.flows.errors import FlowError, Problem
from ivr.flows.folder import cross_check, display_path, flow_files, media_files, read_flow
from ivr.flows.model import Flow
from ivr.simulate_call import SimulationOptions, simulate


@cli.group()
def flows() -> None:
    """Check, simulate and document flow files."""


@flows.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@pass_context
def validate(ctx: Context, paths: tuple[Path, ...]) -> None:
    """Check flow files (default: FLOWS_DIR); print path:line:col: message per problem."""
    problems, count = check_paths(paths or (ctx.settings.flows_dir,))
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem{'s' * (len(problems) != 1)} in {count} "
                   f"flow file{'s' * (count != 1)}", err=True)
        sys.exit(1)
    click.echo(f"{count} flow file{'s' * (count != 1)} valid", err=True)


def check_paths(paths) -> tuple[list[Problem], int]:
    """Problems in the given files or folders, cross-checked against their folder's other flows."""
    wanted: set[str] | None = set()
    folders: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            folders[path] = None
            wanted = None
        else:
            folders[path.parent] = None
            if wanted is not None:
                wanted.add(display_path(path))
    problems: list[Problem] = []
    flows: list[Flow] = []
    count = 0
    for folder in folders:
        media = media_files(folder)
        for file in flow_files(folder):
            if wanted is not None and display_path(file) not in wanted:
                flows += _quietly(file, media)
                continue
            count += 1
            try:
                flows.append(read_flow(file, media)[0])
            except FlowError as exc:
                problems += exc.problems
    problems += cross_check(flows)
    if wanted is not None:
        problems = [p for p in problems if p.path in wanted]
    return sorted(problems), count


def _quietly(path: Path, media) -> list[Flow]:
    try:
        return [read_flow(path, media)[0]]
    except FlowError:
        return []


@flows.command(name="schema")
@click.option("--output", "-o", type=click.Path(path_type=Path),
              help="Write to this file (default: print).")
@click.option("--check", "check_file", type=click.Path(path_type=Path),
              help="Exit 1 if this file differs from the generated schema.")
def schema_command(output: Path | None, check_file: Path | None) -> None:
    """Print the JSON Schema of flow files (flows/schema.json), for editors."""
    text = schema.render()
    if check_file:
        if not check_file.exists() or check_file.read_text(encoding="utf-8") != text:
            raise click.ClickException(f"{check_file} is out of date; run `ivr flows schema "
                                       f"-o {check_file}`")
        return
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@flows.command(name="simulate")
@click.argument("flow")
@click.option("--from", "from_", required=True, help="Caller's number as Twilio sends it "
              "(+819012345678, anonymous, client:alice).")
@click.option("--to", help="Called number (default: the flow's first number).")
@click.option("--input", "inputs", multiple=True, help="Caller input per prompt: digits "
              "(e.g. 1 or 123456#), speech:TEXT, or '' for silence. Repeat in order.")
@click.option("--at", "at", help="Time of the call, ISO 8601 (naive times are in the flow's "
              "time zone). Default: now.")
@click.option("--dial", type=click.Choice(["completed", "no-answer", "busy", "failed"]),
              default="no-answer", show_default=True, help="How transfers end.")
@click.option("--queue-answer", type=int, help="Seconds in a queue until an agent answers "
              "(default: nobody answers).")
@click.option("--message-seconds", type=int, default=8, show_default=True,
              help="Length of a voicemail the caller leaves.")
@click.option("--scratch", is_flag=True, help="Use a throw-away database instead of "
              "DATABASE_URL (nothing is kept).")
@pass_context
def simulate_command(ctx: Context, flow: str, from_: str, to: str | None, inputs, at, dial,
                     queue_answer, message_seconds, scratch) -> None:
    """Play a call through the real webhooks (signed, in process) and print what is heard."""
    options = SimulationOptions(flow=flow, caller=from_, to=to, inputs=list(inputs), at=at,
                                dial=dial, queue_answer=queue_answer,
                                message_seconds=message_seconds, scratch=scratch)
    click.echo(simulate(ctx.settings, options))
