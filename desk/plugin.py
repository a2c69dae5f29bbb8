"""The agent desk: inbox, ticket pages, screen-pops, replies, ticket assignment."""

from pathlib import Path

from core.features import ConfigFile, Feature, Periodic
from core.problems import Problem
from desk import (
    auto_assign,
    events,  # noqa: F401 -- its event kinds are known to every process
    presence,
)
from desk.assignment_rules import FILE_NAME as RULES_FILE
from desk.assignment_rules import AssignmentRulesError, load_rules
from desk.reply_templates import FILE_NAME as TEMPLATES_FILE
from desk.reply_templates import TemplateError, load_templates


def _rules_problems(folder: Path) -> list[Problem]:
    if not (folder / RULES_FILE).is_file():
        return []
    try:
        load_rules(folder / RULES_FILE)
    except AssignmentRulesError as exc:
        return exc.problems
    return []


def _templates_problems(folder: Path) -> list[Problem]:
    try:
        load_templates(folder)
    except TemplateError as exc:
        return exc.problems
    return []


def _commands():
    from desk.cli import assignment
    return [assignment]


feature = Feature(
    name="desk",
    web="desk.web.routes",
    commands=_commands,
    start=auto_assign.subscribe,
    periodic=(Periodic("offline desks", lambda _s: 10.0, presence.sweep),),
    config_files=(ConfigFile(RULES_FILE, _rules_problems),
                  ConfigFile(TEMPLATES_FILE, _templates_problems)),
)
