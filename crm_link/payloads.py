"""Checking JSON bodies and query strings of the API; every refusal names the field (no Flask here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm_link.directory import Contact
from crm_link.errors import InvalidInput
from crm_link.models import CHANNELS, STATUSES
from crm_link.tickets import UNASSIGNED, TicketFilter

MESSAGE_CHANNELS = ("chat", "sms", "web", "email")
MAX_ID = 2**31 - 1  # ids and counts are 32-bit integers in the database
SENDER_KINDS = ("phone", "email", "member_id")
MAX_TEXT = 100_000


def customer_body(body) -> dict:
    """POST /api/customers: {name, phones, emails, member_ids}, all optional but not all empty."""
    data = _object(body, {"name", "phones", "emails", "member_ids"})
    result = {"name": _string(data.get("name"), "name", optional=True, limit=200)}
    for key in ("phones", "emails", "member_ids"):
        values = data.get(key, [])
        if not isinstance(values, list):
            raise InvalidInput(f"{key} must be a list of strings, not {values!r}.", field=key)
        for index, value in enumerate(values):
            _string(value, f"{key}[{index}]", limit=320)
        result[key] = values
    if not result["name"] and not any(result[k] for k in ("phones", "emails", "member_ids")):
        raise InvalidInput("A customer needs a name or at least one phone, email or member ID.",
                           field="name")
    return result


def merge_body(body) -> int:
    """POST /api/customers/<id>/merge: {other_id}."""
    data = _object(body, {"other_id"}, required={"other_id"})
    other = data["other_id"]
    if isinstance(other, bool) or not isinstance(other, int) or not 1 <= other <= MAX_ID:
        raise InvalidInput(f"other_id must be a customer id (a positive integer), not {other!r}.",
                           field="other_id")
    return other


def message_body(body) -> Contact:
    """POST /api/messages: a chat/SMS/web/email message from one sender identity."""
    data = _object(body, {"channel", "from", "name", "subject", "text", "external_id"},
                   required={"channel", "from", "text"})
    channel = data["channel"]
    if channel not in MESSAGE_CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(MESSAGE_CHANNELS)}, not "
                           f"{channel!r}.", field="channel")
    sender = data["from"]
    if not isinstance(sender, dict):
        raise InvalidInput(f"from must be an object like {{\"phone\": ...}}, not {sender!r}.",
                           field="from")
    unknown = sorted(set(sender) - set(SENDER_KINDS))
    if unknown:
        raise InvalidInput(f"from.{unknown[0]} is not a sender field "
                           f"({', '.join(SENDER_KINDS)}).", field=f"from.{unknown[0]}")
    if not sender:
        raise InvalidInput("from needs a phone, email or member_id.", field="from")
    for kind, value in sender.items():
        _string(value, f"from.{kind}", limit=320)
    return Contact(channel=channel, phone=sender.get("phone"), email=sender.get("email"),
                   member_id=sender.get("member_id"),
                   name=_string(data.get("name"), "name", optional=True, limit=200),
                   subject=_string(data.get("subject"), "subject", optional=True, limit=300),
                   text=_string(data["text"], "text", limit=MAX_TEXT),
                   external_id=_string(data.get("external_id"), "external_id", optional=True,
                                       limit=255))


def int_arg(args: Mapping[str, str], name: str, default: int | None = None, *,
            minimum: int = 1, maximum: int = MAX_ID) -> int | None:
    """A whole-number query parameter within bounds (never beyond what the database holds)."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number, not {raw!r}.", field=name) from None
    if not minimum <= value <= maximum:
        raise InvalidInput(f"{name} must be at least {minimum} and at most {maximum}, not "
                           f"{value}.", field=name)
    return value


def zone_arg(args: Mapping[str, str]) -> ZoneInfo:
    name = args.get("tz") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"tz must be an IANA time zone such as Asia/Tokyo, not {name!r}.",
                           field="tz") from None


def time_arg(args: Mapping[str, str], name: str, zone: ZoneInfo, *,
             end: bool = False) -> dt.datetime | None:
    """ISO date or datetime; a date means its local midnight, or the next one for an `until`."""
    raw = args.get(name)
    if not raw:
        return None
    try:
        if len(raw) == 10:
            day = dt.date.fromisoformat(raw) + dt.timedelta(days=1 if end else 0)
            return dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{name} must be an ISO date or datetime (2024-06-01 or "
                           f"2024-06-01T09:00:00+09:00), not {raw!r}.", field=name) from None
    return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(dt.UTC)


def ticket_filter(args: Mapping[str, str]) -> TicketFilter:
    """status/channel (comma-separated), assignee (id or 'none'), since/until on created_at."""
    zone = zone_arg(args)
    statuses = _choices(args.get("status"), STATUSES, "status")
    channels = _choices(args.get("channel"), CHANNELS, "channel")
    assignee: int | str | None = args.get("assignee") or None
    if assignee is not None and assignee != UNASSIGNED:
        assignee = int_arg(args, "assignee", minimum=0)
    return TicketFilter(statuses, channels, assignee, time_arg(args, "since", zone),
                        time_arg(args, "until", zone, end=True))


def _choices(raw: str | None, allowed: tuple[str, ...], name: str) -> tuple[str, ...]:
    values = tuple(v.strip() for v in (raw or "").split(",") if v.strip())
    for value in values:
        if value not in allowed:
            raise InvalidInput(f"{name} must be among {', '.join(allowed)}, not {value!r}.",
                               field=name)
    return values


def _object(body, allowed: set[str], required: frozenset[str] | set[str] = frozenset()) -> dict:
    if not isinstance(body, dict):
        raise InvalidInput(f"The request body must be a JSON object, not {type(body).__name__}.",
                           field=None)
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise InvalidInput(f"{unknown[0]!r} is not a field of this request (expected "
                           f"{', '.join(sorted(allowed))}).", field=unknown[0])
    missing = sorted(required - set(body))
    if missing:
        raise InvalidInput(f"{missing[0]} is required.", field=missing[0])
    return body


def refuse_nul(value, field: str = "body") -> None:
    """NUL characters anywhere in a JSON body are refused: databases cannot store them in text."""
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidInput(f"{field} contains a NUL character (\\u0000), which text cannot "
                               "hold.", field=field)
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_nul(key, f"{field} key")
            refuse_nul(item, f"{field}.{key}" if field != "body" else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            refuse_nul(item, f"{field}[{index}]")


def _string(value, field: str, *, optional: bool = False, limit: int) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a string, not {value!r}.", field=field)
    if len(value) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters ({len(value)}).",
                           field=field)
    return value


def ticket_patch_body(body) -> dict:
    """PATCH /api/tickets/<id>: any of status, priority, assignee_id (null unassigns), subject."""
    data = _object(body, {"status", "priority", "assignee_id", "subject"})
    if not data:
        raise InvalidInput("Give at least one of status, priority, assignee_id, subject.",
                           field=None)
    result = {k: _string(data.get(k), k, optional=True, limit=300)
              for k in ("status", "priority", "subject")}
    if "assignee_id" in data:
        value = data["assignee_id"]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or not 0 <= value <= MAX_ID):
            raise InvalidInput(f"assignee_id must be an agent id or null, not {value!r}.",
                               field="assignee_id")
        result["assignee_id"] = value
    return result
