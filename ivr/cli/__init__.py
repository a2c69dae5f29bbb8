"""The `ivr` command: serve, worker, database, flows, demo and user administration."""

from ivr.cli import assignment, db, demo, flows, recordings, serve, users, worker  # noqa: F401 -- registers
from ivr.cli.base import cli


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="ivr")
