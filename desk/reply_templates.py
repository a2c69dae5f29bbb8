"""Reply templates from FLOWS_DIR/templates.yaml, filled by safe placeholder substitution. No Flask.

A template body may only name the placeholders in PLACEHOLDERS, such as `{customer.name}`;
each is replaced by a plain string in one pass (never str.format, never attribute access), so
a customer whose name is `{agent.name}` or `{0.__class__}` stays exactly that text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from core import yamlsrc
from core.problems import ConfigFileError, Problem
from desk.errors import DeskFileError

FILE_NAME = "templates.yaml"
LANGUAGES = ("ja", "en")
PLACEHOLDERS = ("customer.name", "customer.email", "customer.phone", "ticket.id",
                "ticket.subject", "agent.name")
PATTERN = re.compile(r"\{([a-z_]+(?:\.[a-z_]+)*)\}")


class TemplateError(DeskFileError):
    """The templates file is unreadable or a template is malformed; every problem, file:line."""


@dataclass(frozen=True)
class ReplyTemplate:
    """One canned reply with a title and body per language."""

    key: str
    title: dict[str, str]
    body: dict[str, str]

    def title_in(self, language: str) -> str:
        return self.title.get(language) or next(iter(self.title.values()))

    def body_in(self, language: str) -> str:
        return self.body.get(language) or next(iter(self.body.values()))


def load_templates(flows_dir: Path) -> list[ReplyTemplate]:
    """The templates beside the flows; no file means no templates."""
    path = Path(flows_dir) / FILE_NAME
    if not path.is_file():
        return []
    try:
        source = yamlsrc.load(path.read_bytes(), str(path))
    except OSError as exc:
        raise TemplateError([Problem(str(path), 1, 1, f"cannot read file: {exc.strerror}")]) \
            from None
    except ConfigFileError as exc:  # YAML syntax, size, encoding: the loader's own checks
        raise TemplateError(exc.problems) from None
    problems: list[Problem] = []
    templates = _templates(source, problems)
    if problems:
        raise TemplateError(problems)
    return templates


def _templates(source: yamlsrc.Source, problems: list[Problem]) -> list[ReplyTemplate]:
    data = source.data
    if not isinstance(data, dict) or not isinstance(data.get("templates"), dict):
        problems.append(source.problem((), "the file must have a `templates:` mapping of "
                                           "key -> template"))
        return []
    problems += [source.problem((key,), f"unknown key {key!r} in the file; the allowed key is "
                                        "templates", at_key=True)
                 for key in data if key != "templates"]
    found = []
    for key, item in data["templates"].items():
        where = ("templates", key)
        if not isinstance(item, dict):
            problems.append(source.problem(where, f"template {key!r} must be a mapping with "
                                                  "title and body"))
            continue
        problems += [source.problem(where + (name,), f"unknown key {name!r} in template "
                                                     f"{key!r}; the allowed keys are title, body",
                                    at_key=True)
                     for name in item if name not in ("title", "body")]
        title, body = (_texts(source, where, key, item, name, problems)
                       for name in ("title", "body"))
        for language, text in body.items():
            unknown = sorted({n for n in PATTERN.findall(text) if n not in PLACEHOLDERS})
            if unknown:
                problems.append(source.problem(where + ("body",), f"template {key!r} "
                                f"({language}) uses unknown placeholder(s) {', '.join(unknown)}; "
                                f"known: {', '.join(PLACEHOLDERS)}"))
        if title and body:
            found.append(ReplyTemplate(str(key), title, body))
    return found


def _texts(source: yamlsrc.Source, where: tuple, key: str, item: dict, name: str,
           problems: list[Problem]) -> dict[str, str]:
    """A `{ja: ..., en: ...}` mapping (a plain string serves every language)."""
    value = item.get(name)
    if isinstance(value, str):
        value = {language: value for language in LANGUAGES}
    if not isinstance(value, dict) or not value or not all(
            lang in LANGUAGES and isinstance(text, str) for lang, text in value.items()):
        problems.append(source.problem(where + (name,) if name in item else where,
                                       f"template {key!r}: {name} must map languages "
                                       f"({', '.join(LANGUAGES)}) to text, not {value!r}"))
        return {}
    return dict(value)


def fill(text: str, values: dict[str, str]) -> str:
    """Replace known placeholders with their values in one pass; values are never re-read."""
    def replace(match: re.Match) -> str:
        name = match.group(1)
        return values.get(name, "") if name in PLACEHOLDERS else match.group(0)

    return PATTERN.sub(replace, text)


def values_for(*, customer_name: str | None, email: str | None, phone: str | None,
               ticket_id: int, subject: str, agent_name: str) -> dict[str, str]:
    """The whitelist of placeholder values for one ticket and agent."""
    return {"customer.name": customer_name or "", "customer.email": email or "",
            "customer.phone": phone or "", "ticket.id": str(ticket_id),
            "ticket.subject": subject, "agent.name": agent_name}
