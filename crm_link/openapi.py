"""The API described as OpenAPI 3.1; a test keeps its paths and methods equal to the routes."""

from __future__ import annotations

from crm_link.models import CHANNELS, PRIORITIES, STATUSES
from crm_link.payloads import MESSAGE_CHANNELS

ERROR = {"$ref": "#/components/schemas/Error"}
OBJECT = {"type": "object"}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    text = {400: "Invalid input (the field is named)", 401: "Missing or wrong bearer token",
            404: "Not found", 409: "Conflict", 413: "Body too large", 415: "Wrong content type",
            422: "Message cannot be filed (kept as a rejected message)"}
    return {str(c): {"description": text[c], **_json(ERROR)} for c in (401, *codes)}


def _op(summary: str, ok: dict, *codes: int, params: list | None = None,
        body: dict | None = None, status: int = 200) -> dict:
    op = {"summary": summary, "responses": {str(status): ok, **_errors(*codes)}}
    if params:
        op["parameters"] = params
    if body:
        op["requestBody"] = {"required": True, **body}
    return op


def _q(name: str, schema: dict, text: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": text}


def _path(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


def _ok(text: str, schema: dict | None = None) -> dict:
    return {"description": text, **_json(schema or OBJECT)}


PAGE = [_q("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "Page size"),
        _q("before", {"type": "integer"}, "Cursor: next_before of the previous page")]
RANGE = [_q("since", {"type": "string"}, "ISO date (local midnight in tz) or datetime"),
         _q("until", {"type": "string"}, "ISO date (through that day) or datetime (exclusive)"),
         _q("tz", {"type": "string", "default": "UTC"}, "IANA time zone, e.g. Asia/Tokyo")]
FILTERS = [_q("status", {"type": "string"}, f"Comma-separated: {', '.join(STATUSES)}"),
           _q("channel", {"type": "string"}, f"Comma-separated: {', '.join(CHANNELS)}"),
           _q("assignee", {"type": "string"}, "Agent id, or 'none' for unassigned"), *RANGE]
CUSTOMER = {"$ref": "#/components/schemas/Customer"}
STRINGS = {"type": "array", "items": {"type": "string"}}


def document() -> dict:
    """The OpenAPI document served at /api/openapi.json."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Contact center customer record API", "version": "1.0.0",
                 "description": "Unified customer record: customers found by any identity, "
                                "tickets and one timeline across channels."},
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"],
                          "properties": {"error": {"type": "string"},
                                         "field": {"type": ["string", "null"]}}},
                "Customer": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "name": {"type": ["string", "null"]},
                    "phones": STRINGS, "emails": STRINGS, "member_ids": STRINGS,
                    "merged_into_id": {"type": ["integer", "null"]}}},
            },
        },
    }


def _paths() -> dict:
    message = {"type": "object", "required": ["channel", "from", "text"],
               "additionalProperties": False, "properties": {
                   "channel": {"enum": list(MESSAGE_CHANNELS)},
                   "from": {"type": "object", "minProperties": 1, "additionalProperties": False,
                            "properties": {k: {"type": "string"}
                                           for k in ("phone", "email", "member_id")}},
                   "name": {"type": "string"}, "subject": {"type": "string"},
                   "text": {"type": "string"}, "external_id": {"type": "string"}}}
    filed = _ok("Filed: customer_id, ticket_id, interaction_id, thread_reason")
    return {
        "/api/openapi.json": {"get": {"summary": "This document", "security": [],
                                      "responses": {"200": _ok("OpenAPI 3.1 document")}}},
        "/api/customers": {"post": _op(
            "Create a customer with normalized identities", _ok("Created", CUSTOMER), 400, 409,
            status=201, body=_json({"type": "object", "additionalProperties": False,
                                    "properties": {"name": {"type": "string"},
                                                   "phones": STRINGS, "emails": STRINGS,
                                                   "member_ids": STRINGS}}))},
        "/api/customers/lookup": {"get": _op(
            "Find a customer by phone (any format), email or member ID",
            _ok("customer and matched_by {kind, input, value, rule}"), 400, 404,
            params=[_q(k, {"type": "string"}, f"{k} to look up")
                    for k in ("phone", "email", "member_id")])},
        "/api/customers/{customer_id}": {"get": _op(
            "A customer with identities and open tickets", _ok("Customer", CUSTOMER), 404,
            params=[_path("customer_id")])},
        "/api/customers/{customer_id}/timeline": {"get": _op(
            "Every interaction of the customer, newest first",
            _ok("interactions and next_before"), 400, 404,
            params=[_path("customer_id"), *PAGE])},
        "/api/customers/{customer_id}/merge": {"post": _op(
            "Merge other_id into this customer (recorded, undoable)", _ok("The merge"),
            400, 404, 409, status=201, params=[_path("customer_id")],
            body=_json({"type": "object", "required": ["other_id"],
                        "properties": {"other_id": {"type": "integer"}}}))},
        "/api/merges/{merge_id}": {"get": _op("A recorded merge", _ok("The merge"), 404,
                                              params=[_path("merge_id")])},
        "/api/merges/{merge_id}/undo": {"post": _op(
            "Undo a merge", _ok("The merge with what was restored"), 404, 409,
            params=[_path("merge_id")])},
        "/api/messages": {"post": _op(
            "File a chat/SMS/web/email message (201 new, 200 repeated external_id)", filed,
            400, status=201, body=_json(message))},
        "/api/email/inbound": {"post": _op(
            "File a raw RFC 5322 message (201 new, 200 repeated Message-ID)", filed,
            400, 413, 415, 422, status=201,
            body={"content": {"message/rfc822": {"schema": {"type": "string",
                                                            "format": "binary"}}}})},
        "/api/tickets": {"get": _op("Tickets, newest first", _ok("tickets and next_before"),
                                    400, params=[*FILTERS, *PAGE])},
        "/api/tickets.csv": {"get": _op(
            "The same tickets as CSV (UTF-8 with BOM, header row)",
            {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}},
            400, params=FILTERS)},
        "/api/tickets/{ticket_id}": {"patch": _op(
            "Change status, priority, assignee or subject", _ok("The ticket"), 400, 404,
            params=[_path("ticket_id")],
            body=_json({"type": "object", "additionalProperties": False, "properties": {
                "status": {"enum": list(STATUSES)}, "priority": {"enum": list(PRIORITIES)},
                "assignee_id": {"type": ["integer", "null"]},
                "subject": {"type": "string"}}}))},
        "/api/stats": {"get": _op(
            "Ticket and interaction counts per channel and status per period",
            _ok("periods"), 400,
            params=[*RANGE, _q("by", {"enum": ["day", "week", "month"]}, "Period")])},
        "/api/duplicates": {"get": _op(
            "Possible duplicate customers flagged for a human", _ok("flags"), 400,
            params=[_q("status", {"enum": ["open", "resolved", "dismissed", "all"]},
                       "Default open")])},
        "/api/duplicates/{flag_id}/dismiss": {"post": _op(
            "Mark a flag as two different people", _ok("The flag"), 404,
            params=[_path("flag_id")])},
        "/api/attachments/{key}": {"get": _op(
            "Download a stored email attachment",
            {"description": "The file",
             "content": {"application/octet-stream": {"schema": {"type": "string"}}}}, 404,
            params=[{"name": "key", "in": "path", "required": True,
                     "schema": {"type": "string"}}])},
    }
