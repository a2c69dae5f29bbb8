"""Reply templates from FLOWS_DIR/templates.yaml, filled by safe placeholder substitution. No Flask.

A template body may only name the placeholders in PLACEHOLDERS, such as `{customer.name}`;
each is replaced by a plain string in one pass (never str.format, never attribute access), so
a customer whose name is `{agent.name}` or `{0.__class__}` stays exactly that text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from desk.errors import DeskError

FILE_NAME = "templates.yaml"
LANGUAGES = ("ja", "en")
PLACEHOLDERS = ("customer.name", "customer.email", "customer.phone", "ticket.id",
                "ticket.subject", "agent.name")
PATTERN = re.compile(r"\{([a-z_]+(?:\.[a-z_]+)*)\}")


class TemplateError(DeskError):
    """The templates file is unreadable or a template is malformed; says which and why."""


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
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateError(f"{path} cannot be read as YAML: {exc}") from exc
    items = data.get("templates") if isinstance(data, dict) else None
    if not isinstance(items, dict):
        raise TemplateError(f"{path} must have a `templates:` mapping of key -> template.")
    return [_template(path, str(key), item) for key, item in items.items()]


def _template(path: Path, key: str, item) -> ReplyTemplate:
    if not isinstance(item, dict):
        raise TemplateError(f"Template {key!r} in {path} must be a mapping with title and body.")
    title, body = _texts(path, key, item, "title"), _texts(path, key, item, "body")
    for language, text in body.items():
        unknown = sorted({name for name in PATTERN.findall(text) if name not in PLACEHOLDERS})
        if unknown:
            raise TemplateError(f"Template {key!r} ({language}) in {path} uses unknown "
                                f"placeholder(s) {', '.join(unknown)}; known: "
                                f"{', '.join(PLACEHOLDERS)}.")
    return ReplyTemplate(key, title, body)


def _texts(path: Path, key: str, item: dict, name: str) -> dict[str, str]:
    """A `{ja: ..., en: ...}` mapping (a plain string serves every language)."""
    value = item.get(name)
    if isinstance(value, str):
        value = {language: value for language in LANGUAGES}
    if not isinstance(value, dict) or not value or not all(
            lang in LANGUAGES and isinstance(text, str) for lang, text in value.items()):
        raise TemplateError(f"Template {key!r} in {path}: {name} must map languages "
                            f"({', '.join(LANGUAGES)}) to text, not {value!r}.")
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
