"""Check YAML values against grammar Fields, collecting every problem with its position."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from core.yamlsrc import Source
from ivr.flows.errors import Problem
from ivr.flows.grammar import LANGUAGE, Field
from ivr.flows.model import Text

BAD = object()  # marks a value that failed its check (a problem was already recorded)
_YAML11_BOOLS = {"yes", "no", "on", "off", "y", "n"}
_LANGUAGE = re.compile(LANGUAGE)


class Checker:
    """Walks a Source, recording problems instead of stopping at the first one."""

    def __init__(self, source: Source):
        self.source = source
        self.problems: list[Problem] = []
        self.step_refs: list[tuple[tuple, str]] = []   # (path, step name) to resolve later
        self.texts: list[tuple[tuple, Text]] = []       # every text, for language checks
        self.declared: set[str] = set()                  # step names, built or not

    def error(self, path: tuple, message: str, *, at_key: bool = False) -> None:
        self.problems.append(self.source.problem(path, message, at_key=at_key))

    def object(self, value: Any, fields: Mapping[str, Field], path: tuple, what: str) -> dict:
        """A mapping with only known keys and all required ones; values checked."""
        if not isinstance(value, dict):
            self.error(path, f"{what} must be a mapping with keys {_names(fields)}, "
                             f"not {_kind(value)}")
            return {}
        out = {}
        for key, item in value.items():
            if key not in fields:
                self.unknown_key(path + (key,), key, fields, what)
                continue
            checked = self.value(item, fields[key], path + (key,), key)
            if checked is not BAD:
                out[key] = checked
        for key, spec in fields.items():
            if spec.required and key not in value:
                self.error(path, f"{what} is missing required key {key!r}")
        return out

    def unknown_key(self, path: tuple, key: str, allowed: Mapping | list, what: str) -> None:
        hint = difflib.get_close_matches(key, list(allowed), n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        self.error(path, f"unknown key {key!r} in {what}{suggestion}; allowed keys: "
                         f"{_names(allowed)}", at_key=True)

    def value(self, value: Any, spec: Field, path: tuple, name: str) -> Any:
        kind = spec.kind
        if kind in ("any", "cond"):  # shapes checked by their own builders
            return value
        if kind == "text":
            return self.text(value, path, name)
        if kind == "step":
            if not isinstance(value, str) or not value:
                self.error(path, f"{name} must name a step, not {_kind(value)}")
                return BAD
            self.step_refs.append((path, value))
            return value
        if kind == "bool":
            return self._bool(value, path, name)
        if kind == "int":
            return self._int(value, spec, path, name)
        if kind == "string":
            return self._string(value, spec, path, name)
        if kind == "object":
            return self.object(value, spec.fields, path, name)
        if kind == "list":
            return self._list(value, spec, path, name)
        if kind == "mapping":
            return self._mapping(value, spec, path, name)
        raise ValueError(f"grammar kind {kind!r} has no checker")  # a bug in grammar.py

    def text(self, value: Any, path: tuple, name: str) -> Text | Any:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            text = Text({"": str(value)})
        elif isinstance(value, dict) and value:
            for lang, item in value.items():
                if not _LANGUAGE.match(lang):
                    self.error(path + (lang,), f"{lang!r} is not a language code like ja-JP "
                                               f"or en-US", at_key=True)
                    return BAD
                if not isinstance(item, str):
                    self.error(path + (lang,), f"{name} in {lang} must be text, not "
                                               f"{_kind(item)}")
                    return BAD
            text = Text(dict(value))
        else:
            self.error(path, f"{name} must be text or a mapping of language to text, "
                             f"not {_kind(value)}")
            return BAD
        self.texts.append((path, text))
        return text

    def _bool(self, value: Any, path: tuple, name: str) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _YAML11_BOOLS:
            self.error(path, f"{name} must be true or false, not {value!r} (YAML 1.1 "
                             "yes/no/on/off are read as text here)")
        else:
            self.error(path, f"{name} must be true or false, not {_kind(value)}")
        return BAD

    def _int(self, value: Any, spec: Field, path: tuple, name: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(path, f"{name} must be a whole number, not {_kind(value)}")
            return BAD
        if (spec.minimum is not None and value < spec.minimum) or (
                spec.maximum is not None and value > spec.maximum):
            self.error(path, f"{name} must be between {spec.minimum} and {spec.maximum}, "
                             f"not {value}")
            return BAD
        return value

    def _string(self, value: Any, spec: Field, path: tuple, name: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.error(path, f"{name} must be text, not {_kind(value)}")
            return BAD
        text = str(value)
        if spec.choices and text not in spec.choices:
            self.error(path, f"{name} must be one of {', '.join(spec.choices)}, not {text!r}")
            return BAD
        if spec.pattern and not re.match(spec.pattern, text):
            self.error(path, f"{name} {text!r} is not allowed here (expected {spec.pattern})")
            return BAD
        return text

    def _list(self, value: Any, spec: Field, path: tuple, name: str) -> Any:
        if not isinstance(value, list):
            self.error(path, f"{name} must be a list, not {_kind(value)}")
            return BAD
        items = [self.value(item, spec.item, path + (i,), name) for i, item in enumerate(value)]
        return [item for item in items if item is not BAD]

    def _mapping(self, value: Any, spec: Field, path: tuple, name: str) -> Any:
        if not isinstance(value, dict):
            self.error(path, f"{name} must be a mapping, not {_kind(value)}")
            return BAD
        out = {}
        for key, item in value.items():
            if spec.key and spec.key.pattern and not re.match(spec.key.pattern, key):
                self.error(path + (key,), f"{key!r} is not allowed as a key of {name} "
                                          f"(expected {spec.key.pattern})", at_key=True)
                continue
            checked = self.value(item, spec.item, path + (key,), f"{name}.{key}")
            if checked is not BAD:
                out[key] = checked
        return out


def _names(fields) -> str:
    return ", ".join(fields)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return repr(value)
