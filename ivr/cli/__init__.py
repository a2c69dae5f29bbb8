"""The `ivr` command: serve, worker, database, flows, demo and user administration."""

from core.cli import db, serve, users, worker  # noqa: F401 -- registers
from core.cli.base import cli
from ivr.cli import assignment, demo, flows, recordings  # noqa: F401 -- registers


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="ivr")
