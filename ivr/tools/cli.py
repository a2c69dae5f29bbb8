"""`ivr flows`: validate, lint, graph, test, simulate and publish the schema of flow files."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from core import features
from core.cli.base import Context, pass_context
from ivr.errors import IvrError
from ivr.flows import schema
from ivr.flows.errors import FlowError, Problem
from ivr.flows.folder import cross_check, display_path, flow_files, media_files, read_flow
from ivr.flows.lint import lint as lint_flow
from ivr.flows.model import Flow
from ivr.tools import graph_render, scripted_calls
from ivr.tools.simulate import SimulationOptions, simulate


@click.group()
def flows() -> None:
    """Check, simulate and document flow files."""


@flows.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--strict", is_flag=True, help="Also lint the flows; warnings fail too.")
@pass_context
def validate(ctx: Context, paths: tuple[Path, ...], strict: bool) -> None:
    """Check flow files (default: FLOWS_DIR); print path:line:col: message per problem."""
    _report(paths or (ctx.settings.telephony.flows_dir,), lint=strict, strict=strict)


@flows.command(name="lint")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--strict", is_flag=True, help="Exit 1 on warnings, not only on errors.")
@pass_context
def lint_command(ctx: Context, paths: tuple[Path, ...], strict: bool) -> None:
    """Warn about flows that load but trap or confuse callers (see docs/flows.md, Lint)."""
    _report(paths or (ctx.settings.telephony.flows_dir,), lint=True, strict=strict)


def _report(paths, *, lint: bool, strict: bool) -> None:
    problems, count, checked = check_paths(paths, with_flows=True)
    warnings = sorted(w for flow in checked for w in lint_flow(flow)) if lint else []
    for problem in sorted(problems + warnings):
        click.echo(str(problem))
    files = f"{count} flow file{'s' * (count != 1)}"
    if warnings:
        click.echo(f"{len(warnings)} warning{'s' * (len(warnings) != 1)} in {files}", err=True)
    if problems:
        click.echo(f"{len(problems)} problem{'s' * (len(problems) != 1)} in {files}", err=True)
    if problems or (strict and warnings):
        sys.exit(1)
    if not problems:
        click.echo(f"{files} valid" + (" and lint-clean" if lint and not warnings else ""),
                   err=True)


def check_paths(paths, *, with_flows: bool = False):
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
    checked: list[Flow] = []
    count = 0
    for folder in folders:
        media = media_files(folder)
        for file in flow_files(folder):
            if wanted is not None and display_path(file) not in wanted:
                flows += _quietly(file, media)
                continue
            count += 1
            try:
                checked.append(read_flow(file, media)[0])
            except FlowError as exc:
                problems += exc.problems
    problems += cross_check(flows + checked)
    if wanted is None:
        problems += [p for folder in folders for p in companion_problems(folder)]
    if wanted is not None:
        problems = [p for p in problems if p.path in wanted]
    if with_flows:
        return sorted(problems), count, checked
    return sorted(problems), count


def companion_problems(folder: Path) -> list[Problem]:
    """The other files that live beside the flows (assignment rules, reply templates...), as
    each feature that reads one checks it."""
    return [problem for feature in features.load() for file in feature.config_files
            for problem in file.check(folder)]


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


@flows.command(name="graph")
@click.argument("flow")
@click.option("--format", "fmt", type=click.Choice(graph_render.FORMATS), default="svg",
              show_default=True, help="svg/png are drawn by Graphviz `dot`; mermaid and dot "
              "are text.")
@click.option("--output", "-o", type=click.Path(path_type=Path),
              help="Write to this file (default: print; svg/png need a file unless piped).")
@pass_context
def graph_command(ctx: Context, flow: str, fmt: str, output: Path | None) -> None:
    """Draw FLOW (a name in FLOWS_DIR, or a file) as a graph of steps and options."""
    data = graph_render.render(_find(ctx, flow), fmt)
    if output:
        output.write_bytes(data)
    elif fmt in ("svg", "mermaid", "dot"):
        click.echo(data.decode(), nl=False)
    else:
        click.get_binary_stream("stdout").write(data)


def _find(ctx: Context, name_or_path: str) -> Flow:
    """A flow file given by path, or by flow name or file stem in FLOWS_DIR."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return read_flow(path, media_files(path.parent))[0]
    folder = ctx.settings.telephony.flows_dir
    for file in flow_files(folder):
        found = _quietly(file, media_files(folder))
        if file.stem == name_or_path or (found and found[0].name == name_or_path):
            return found[0] if found else read_flow(file, media_files(folder))[0]
    raise IvrError(f"No flow named {name_or_path!r} in {folder}.")


@flows.command(name="test")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@pass_context
def test_command(ctx: Context, path: Path | None) -> None:
    """Play the scripted calls of PATH/tests/*.yaml (default: FLOWS_DIR) and report coverage."""
    report = scripted_calls.run(path or ctx.settings.telephony.flows_dir)
    click.echo(report.text())
    if not report.ok:
        sys.exit(1)
