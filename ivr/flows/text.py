"""Prompt templates: `{caller.name}`, `{caller.phone}`, `{vars.member_id}`; missing values are empty.

Substitution is a regular expression over known names, never str.format or eval, so a flow
file cannot reach into Python objects.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PLACEHOLDER = re.compile(r"\{([a-z_]+)\.([A-Za-z_][A-Za-z0-9_]*)\}")
CALLER_FIELDS = ("name", "phone", "id")
NAMESPACES = ("caller", "vars")


def unknown_placeholders(text: str) -> list[str]:
    """Placeholders a flow file may not use (typos such as {caler.name})."""
    bad = []
    for match in PLACEHOLDER.finditer(text):
        space, name = match.groups()
        if space not in NAMESPACES or (space == "caller" and name not in CALLER_FIELDS):
            bad.append(match.group(0))
    return bad


def render(text: str, caller: Mapping, variables: Mapping[str, str]) -> str:
    """Fill placeholders from the caller lookup and call variables."""

    def value(match: re.Match) -> str:
        space, name = match.groups()
        if space == "vars":
            return str(variables.get(name, "") or "")
        if space == "caller":
            key = {"id": "customer_id"}.get(name, name)
            return str(caller.get(key) or "")
        return match.group(0)

    return PLACEHOLDER.sub(value, text)
