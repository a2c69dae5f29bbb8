"""The `ivr` command: serve, worker, database, flows, demo and user administration."""

from ivr.cli import db, serve  # noqa: F401 -- each module registers its commands on `cli`
from ivr.cli.base import cli


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="ivr")
