"""The flow format as JSON Schema (flows/schema.json), generated from the grammar the parser uses.

Editors (VS Code's YAML extension, JetBrains) use it to autocomplete and check flow files;
a test regenerates it and fails if the committed file is stale.
"""

from __future__ import annotations

import json

from ivr.flows import grammar
from ivr.flows.grammar import Field

SCHEMA_ID = "https://github.com/ivr-contact-center/ivr/flows/schema.json"


def _text() -> dict:
    return {"oneOf": [{"type": "string"},
                      {"type": "object", "minProperties": 1,
                       "propertyNames": {"pattern": grammar.LANGUAGE},
                       "additionalProperties": {"type": "string"}}]}


def field_schema(spec: Field) -> dict:
    """JSON Schema for one grammar Field."""
    kind = spec.kind
    if kind == "text":
        out = {"$ref": "#/$defs/text"}
    elif kind == "step":
        out = {"type": "string", "minLength": 1}
    elif kind == "bool":
        out = {"type": "boolean"}
    elif kind == "int":
        out = {"type": "integer"}
        out.update({k: v for k, v in (("minimum", spec.minimum), ("maximum", spec.maximum))
                    if v is not None})
    elif kind == "string":
        out = {"type": ["string", "number"]} if not spec.pattern else {"type": "string"}
        if spec.choices:
            out = {"enum": list(spec.choices)}
        if spec.pattern:
            out["pattern"] = spec.pattern
    elif kind == "object":
        out = object_schema(spec.fields)
    elif kind == "list":
        out = {"type": "array", "items": field_schema(spec.item)}
    elif kind == "mapping":
        out = {"type": "object", "additionalProperties": field_schema(spec.item)}
        if spec.key and spec.key.pattern:
            out["propertyNames"] = {"pattern": spec.key.pattern}
    elif kind == "cond":
        out = {"$ref": "#/$defs/condition"}
    else:
        out = {}
    if spec.doc:
        out["description"] = spec.doc
    if spec.default is not None:
        out["default"] = spec.default
    return out


def object_schema(fields) -> dict:
    return {"type": "object", "additionalProperties": False,
            "properties": {name: field_schema(spec) for name, spec in fields.items()},
            **({"required": req} if (req := [n for n, s in fields.items() if s.required]) else {})}


def _step() -> dict:
    """A step: exactly one action key, plus that action's sibling keys."""
    variants = []
    for action, rule in grammar.ACTIONS.items():
        value = field_schema(rule["value"])
        if action == "goto_flow":
            value = {"oneOf": [{"type": "string"}, object_schema(grammar.GOTO_FLOW)],
                     "description": rule["value"].doc}
        if action == "hangup":
            value = {"const": True, "description": rule["value"].doc}
        props = {action: value, **{k: field_schema(v) for k, v in rule["siblings"].items()}}
        required = [action, *[k for k, v in rule["siblings"].items() if v.required]]
        variants.append({"type": "object", "title": action, "additionalProperties": False,
                         "properties": props, "required": required})
    return {"oneOf": variants}


def build() -> dict:
    top = object_schema(grammar.TOP)
    top["properties"]["steps"]["additionalProperties"] = {"$ref": "#/$defs/step"}
    top["properties"]["hours"]["additionalProperties"] = {
        "type": "object", "description": grammar.SCHEDULE_DOC}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "IVR flow",
        "description": "One IVR flow: numbers, language, hours and steps (see README).",
        **top,
        "$defs": {"text": _text(), "condition": object_schema(grammar.CONDITION),
                  "step": _step()},
    }


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
