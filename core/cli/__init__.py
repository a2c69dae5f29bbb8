"""The `ivr` command: the platform's commands (serve, worker, db, users) and every feature's."""

from core import features
from core.cli import db, serve, users, worker  # noqa: F401 -- registers the platform's commands
from core.cli.base import cli

for _feature in features.load():
    for _command in _feature.commands():
        cli.add_command(_command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="ivr")
