"""Ticket assignment rules from FLOWS_DIR/assignment.yaml: teams, first-match rules, a default team.

The file is read with the flows' positioned safe YAML loader, so every problem is reported as
`file:line:col: message`, and it is hot reloaded by modification time like the flows: a broken
edit is logged and the last good rules keep serving.
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from core import yamlsrc
from core.accounts import QUEUE, ROLES, USERNAME
from core.hotfile import HotFile
from core.problems import ConfigFileError, Problem
from crm_link.models import CHANNELS
from desk.errors import DeskFileError

log = logging.getLogger("desk.assignment")

FILE_NAME = "assignment.yaml"
TOP_KEYS = ("teams", "rules", "default_team")
RULE_KEYS = ("when", "team")
WHEN_KEYS = ("channel", "queue", "mailbox", "keyword")
TEAM_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
DEFAULT_TEAM = "agents"


class AssignmentRulesError(DeskFileError):
    """assignment.yaml is not valid; holds every problem found, each with file and line."""


@dataclass(frozen=True)
class Member:
    """One entry of a team: a username, `queue:NAME` (who serves it) or `role:NAME`."""

    kind: str  # "user", "queue" or "role"
    value: str

    def __str__(self) -> str:
        return self.value if self.kind == "user" else f"{self.kind}:{self.value}"


@dataclass(frozen=True)
class When:
    """Conditions of a rule; all given ones must hold, any value of a list may match."""

    channel: tuple[str, ...] = ()
    queue: tuple[str, ...] = ()
    mailbox: tuple[str, ...] = ()
    keyword: tuple[str, ...] = ()  # already folded (NFKC + casefold)


@dataclass(frozen=True)
class Rule:
    when: When
    team: str
    line: int = 0

    def describe(self) -> str:
        """'channel voicemail, keyword 解約/退会' (or 'always' for a rule without conditions)."""
        parts = [f"{name} {'/'.join(getattr(self.when, name))}" for name in WHEN_KEYS
                 if getattr(self.when, name)]
        return ", ".join(parts) or "always"


@dataclass(frozen=True)
class TicketFacts:
    """What rules look at: the ticket's channel, the call's queue/mailbox, subject and text."""

    channel: str
    queue: str | None = None
    mailbox: str | None = None
    text: str = ""


@dataclass(frozen=True)
class Rules:
    """The parsed file; `source` is its path, or "(built-in default)"."""

    teams: dict[str, tuple[Member, ...]] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    default_team: str | None = None
    source: str = "(built-in default)"

    def team_for(self, facts: TicketFacts) -> tuple[str | None, str]:
        """The team a ticket goes to and why; (None, why) when nothing matches."""
        text = fold(facts.text)
        for rule in self.rules:
            if _matches(rule.when, facts, text):
                return rule.team, f"rule at {self.source}:{rule.line} ({rule.describe()})"
        if self.default_team:
            return self.default_team, "default team"
        return None, "no rule matched and there is no default_team"


DEFAULT_RULES = Rules(teams={DEFAULT_TEAM: (Member("role", "agent"),)},
                      default_team=DEFAULT_TEAM)


def fold(text: str) -> str:
    """Case- and width-insensitive form: 'ＶＩＰ', 'vip' and 'VIP' compare equal, so do ｶﾅ and カナ."""
    return unicodedata.normalize("NFKC", text or "").casefold()


def _matches(when: When, facts: TicketFacts, text: str) -> bool:
    if when.channel and facts.channel not in when.channel:
        return False
    if when.queue and facts.queue not in when.queue:
        return False
    if when.mailbox and facts.mailbox not in when.mailbox:
        return False
    return not when.keyword or any(k in text for k in when.keyword)


# --- parsing ----------------------------------------------------------------------------------

def load_rules(path: Path | str) -> Rules:
    """Read and validate one rules file, raising AssignmentRulesError with file:line problems."""
    path = Path(path)
    shown = _display(path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise AssignmentRulesError([Problem(shown, 1, 1, f"cannot read file: "
                                                         f"{exc.strerror}")]) from None
    return parse_rules(content, shown)


def parse_rules(text: str | bytes, path: str) -> Rules:
    """Parse the YAML text of a rules file; `path` is only used in messages."""
    try:
        source = yamlsrc.load(text, path)
    except ConfigFileError as exc:
        raise AssignmentRulesError(exc.problems) from None
    return _Parser(source).rules()


class _Parser:
    def __init__(self, source: yamlsrc.Source):
        self.source = source
        self.problems: list[Problem] = []

    def error(self, path: tuple, message: str, at_key: bool = False) -> None:
        self.problems.append(self.source.problem(path, message, at_key=at_key))

    def rules(self) -> Rules:
        data = self.source.data
        if data is None:
            data = {}
        if not isinstance(data, dict):
            self.error((), f"the file must be a mapping with the keys {', '.join(TOP_KEYS)}, "
                           f"not a {_kind(data)}")
            raise AssignmentRulesError(self.problems)
        self.unknown_keys((), data, TOP_KEYS, "the file")
        teams = self.teams(data.get("teams", {}))
        items = self.list(("rules",), data.get("rules"))
        rules = tuple(self.rule(i, item, teams) for i, item in enumerate(items))
        default = data.get("default_team")
        if default is not None:
            default = self.team_ref(("default_team",), default, teams)
        if self.problems:
            raise AssignmentRulesError(self.problems)
        return Rules(teams=teams, rules=tuple(r for r in rules if r is not None),
                     default_team=default, source=self.source.path)

    def unknown_keys(self, path: tuple, data: dict, allowed: Iterable[str], what: str) -> None:
        for key in data:
            if key not in allowed:
                self.error(path + (key,), f"unknown key {key!r} in {what}; the allowed keys "
                                          f"are {', '.join(allowed)}", at_key=True)

    def list(self, path: tuple, value) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(path, f"{path[-1]} must be a list, not a {_kind(value)}")
            return []
        return value

    def teams(self, value) -> dict[str, tuple[Member, ...]]:
        if not isinstance(value, dict):
            self.error(("teams",), f"teams must be a mapping of team name to members, not a "
                                   f"{_kind(value)}")
            return {}
        teams: dict[str, tuple[Member, ...]] = {}
        for name, members in value.items():
            if not TEAM_NAME.fullmatch(name):
                self.error(("teams", name), f"team name {name!r} is not allowed; use lower-case "
                                            "letters, digits, '_' or '-'", at_key=True)
            items = self.list(("teams", name), members)
            if members is not None and not items and isinstance(members, list):
                self.error(("teams", name), f"team {name!r} has no members")
            teams[name] = tuple(m for i, item in enumerate(items)
                                if (m := self.member(("teams", name, i), item)) is not None)
        return teams

    def member(self, path: tuple, value) -> Member | None:
        if not isinstance(value, str):
            self.error(path, f"a team member must be a username, queue:NAME or role:NAME, "
                             f"not {value!r}")
            return None
        kind, _, rest = value.partition(":")
        if not rest:
            if USERNAME.fullmatch(value):
                return Member("user", value)
            self.error(path, f"{value!r} is not a username (lower-case letters, digits, "
                             "'.', '_', '-', '@'); use queue:NAME or role:NAME for groups")
        elif kind == "queue" and QUEUE.fullmatch(rest):
            return Member("queue", rest)
        elif kind == "role" and rest in ROLES:
            return Member("role", rest)
        else:
            self.error(path, f"team member {value!r} is not a username, queue:NAME or "
                             f"role:NAME (roles: {', '.join(ROLES)})")
        return None

    def team_ref(self, path: tuple, value, teams: dict) -> str | None:
        if not isinstance(value, str) or value not in teams:
            known = ", ".join(sorted(teams)) or "none are defined"
            self.error(path, f"team {value!r} is not defined under teams (teams: {known})")
            return None
        return value

    def rule(self, index: int, item, teams: dict) -> Rule | None:
        path = ("rules", index)
        if not isinstance(item, dict):
            self.error(path, f"a rule must be a mapping with the keys {', '.join(RULE_KEYS)}, "
                             f"not a {_kind(item)}")
            return None
        self.unknown_keys(path, item, RULE_KEYS, "a rule")
        if "team" not in item:
            self.error(path, "this rule has no team; add team: NAME")
            return None
        team = self.team_ref(path + ("team",), item.get("team"), teams)
        when = self.when(path + ("when",), item.get("when", {}))
        line = self.source.where(path)[0]
        return Rule(when, team, line) if team is not None and when is not None else None

    def when(self, path: tuple, value) -> When | None:
        if not isinstance(value, dict):
            self.error(path, f"when must be a mapping with the keys {', '.join(WHEN_KEYS)}, "
                             f"not a {_kind(value)}")
            return None
        self.unknown_keys(path, value, WHEN_KEYS, "when")
        found = {}
        for key in WHEN_KEYS:
            if key in value:
                found[key] = self.values(path + (key,), key, value[key])
        return When(**found)

    def values(self, path: tuple, key: str, value) -> tuple[str, ...]:
        items = value if isinstance(value, list) else [value]
        result = []
        for i, item in enumerate(items):
            where = path + (i,) if isinstance(value, list) else path
            if not isinstance(item, str) or not item.strip():
                self.error(where, f"{key} must be a non-empty string or a list of them, "
                                  f"not {item!r}")
            elif key == "channel" and item not in CHANNELS:
                self.error(where, f"channel {item!r} is not one of {', '.join(CHANNELS)}")
            elif key in ("queue", "mailbox") and not QUEUE.fullmatch(item):
                self.error(where, f"{key} {item!r} is not a queue name (lower-case letters, "
                                  "digits, '_' or '-')")
            else:
                result.append(fold(item) if key == "keyword" else item)
        return tuple(result)


def _kind(value) -> str:
    return {dict: "mapping", list: "list", str: "string"}.get(type(value), type(value).__name__)


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


# --- hot reload -------------------------------------------------------------------------------

class RulesFile(HotFile[Rules]):
    """The rules of one folder, re-read when the file changes (core.hotfile).

    Missing file: DEFAULT_RULES (every active user with the agent role, one team). Invalid file:
    the error is logged once with file:line and the last good rules keep serving (the built-in
    default if the file was never valid in this process); `error` says what is wrong.
    """

    def __init__(self, folder: Path | str):
        super().__init__(Path(folder) / FILE_NAME, load_rules, DEFAULT_RULES, "assignment rules",
                         "rules")
