"""Safe YAML with positions: plain data plus the line/column of every key and value.

YAML 1.1's traps are closed: `yes`/`no`/`on`/`off` stay strings, `0120` is not octal,
`1:30` is not sexagesimal 90, dates stay strings. Only true/false are booleans.
Tags beyond the core schema (`!!python/...`) are refused, duplicate keys are errors, and
alias expansion is capped so a "billion laughs" file fails fast instead of eating memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from core.problems import ConfigFileError, Problem

MAX_FILE_BYTES = 512 * 1024
MAX_NODES = 20_000
KEY = "\x00key"  # path suffix under which a mapping key's own position is stored

_CORE_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


class _Resolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core-schema scalars: the only implicit types are these four."""


_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Resolver.add_implicit_resolver(
    # No leading "+": `+81312345678` is a phone number, not an integer.
    "tag:yaml.org,2002:int", re.compile(r"^(?:-?(?:0|[1-9][0-9]*))$"), list("-0123456789"))
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)\.[0-9]+(?:[eE][-+]?[0-9]+)?)$"), list("-+0123456789"))
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])


class _Loader(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser,
              yaml.composer.Composer, _Resolver):
    def __init__(self, stream):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Resolver.__init__(self)


@dataclass
class Source:
    """A parsed file: its data, and where each path of keys came from."""

    path: str
    data: Any
    positions: dict[tuple, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: tuple) -> tuple[int, int]:
        """Line and column of a path, or of its nearest located ancestor."""
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (1, 1))

    def problem(self, path: tuple, message: str, *, at_key: bool = False,
                severity: str = "error") -> Problem:
        line, col = self.where(path + (KEY,) if at_key and path + (KEY,) in self.positions
                               else path)
        return Problem(self.path, line, col, message, severity)


def load(text: str | bytes, path: str) -> Source:
    """Parse one YAML document into plain data with positions, or raise ConfigFileError."""
    if isinstance(text, bytes):
        if len(text) > MAX_FILE_BYTES:
            raise ConfigFileError([Problem(path, 1, 1, f"file is {len(text)} bytes; the limit is "
                                     f"{MAX_FILE_BYTES}")])
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ConfigFileError([Problem(path, 1, 1, f"file is not UTF-8 ({exc.reason} at byte "
                                     f"{exc.start})")]) from None
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        raise ConfigFileError([Problem(path, line, col, f"YAML syntax: {message}")]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML forbids, e.g. NUL
        line, col = _line_col(text, exc.position)
        raise ConfigFileError([Problem(path, line, col, f"YAML syntax: character {exc.character!r} "
                                                  "is not allowed in YAML")]) from None
    except yaml.YAMLError as exc:
        raise ConfigFileError([Problem(path, 1, 1, f"YAML syntax: {exc}")]) from None
    source = Source(path, None)
    if node is None:
        source.positions[()] = (1, 1)
        return source
    budget = [MAX_NODES]
    source.data = _convert(node, (), source, budget)
    return source


def _compose(text: str) -> yaml.Node | None:
    loader = _Loader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def _line_col(text: str, position: int) -> tuple[int, int]:
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def _convert(node: yaml.Node, path: tuple, source: Source, budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigFileError([Problem(source.path, node.start_mark.line + 1,
                                 node.start_mark.column + 1,
                                 f"more than {MAX_NODES} values (an alias bomb?); "
                                 "split the flow or remove anchors")])
    source.positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if node.tag not in _CORE_TAGS:
        raise ConfigFileError([_at(source, node, f"tag {node.tag!r} is not allowed in flow files; "
                                           "only plain YAML values are")])
    if isinstance(node, yaml.MappingNode):
        return _mapping(node, path, source, budget)
    if isinstance(node, yaml.SequenceNode):
        return [_convert(child, path + (i,), source, budget) for i, child in enumerate(node.value)]
    return _scalar(node, source)


def _mapping(node: yaml.MappingNode, path: tuple, source: Source, budget: list[int]) -> dict:
    result: dict = {}
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == "<<" and not key_node.style:
            raise ConfigFileError([_at(source, key_node, "merge keys (<<) are not supported; "
                                                   "repeat the values instead")])
        key = _convert(key_node, path + ("\x00k",), source, budget)
        if isinstance(key, (dict, list)):
            raise ConfigFileError([_at(source, key_node, "mapping keys must be plain values")])
        key = _key_text(key)
        if key in result:
            raise ConfigFileError([_at(source, key_node, f"duplicate key {key!r}")])
        source.positions[path + (key, KEY)] = (key_node.start_mark.line + 1,
                                               key_node.start_mark.column + 1)
        result[key] = _convert(value_node, path + (key,), source, budget)
    source.positions.pop(path + ("\x00k",), None)
    return result


def _key_text(key: Any) -> str:
    """Keys are always strings: `1:` in an options map means the digit "1"."""
    if isinstance(key, bool):
        return "true" if key else "false"
    return "" if key is None else str(key)


def _scalar(node: yaml.ScalarNode, source: Source) -> Any:
    value = node.value
    if node.style is not None or node.tag == "tag:yaml.org,2002:str":
        return value
    resolved = node.tag
    if resolved == "tag:yaml.org,2002:bool":
        return value.lower() == "true"
    if resolved == "tag:yaml.org,2002:int":
        return int(value)
    if resolved == "tag:yaml.org,2002:float":
        return float(value)
    if resolved == "tag:yaml.org,2002:null":
        return None
    return value


def _at(source: Source, node: yaml.Node, message: str) -> Problem:
    return Problem(source.path, node.start_mark.line + 1, node.start_mark.column + 1, message)
