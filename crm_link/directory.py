"""The boundary the IVR and workers talk to: a CustomerDirectory protocol and its result types.

The embedded implementation is `crm_link.store.SqlDirectory` (our own tables); an external
helpdesk/CRM can be linked later by implementing the same protocol with the same dataclasses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable


def iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class IdentityView:
    """One identity of a customer as shown to callers of the directory."""

    kind: str
    value: str
    raw: str
    rule: str
    source: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class CustomerView:
    """A customer and its identities; `merged_into_id` is set when it was absorbed by a merge."""

    id: int
    name: str | None
    anonymous: bool
    merged_into_id: int | None
    created_at: dt.datetime
    identities: tuple[IdentityView, ...] = ()

    def values(self, kind: str) -> list[str]:
        return [i.value for i in self.identities if i.kind == kind]

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "anonymous": self.anonymous,
                "merged_into_id": self.merged_into_id, "created_at": iso(self.created_at),
                "phones": self.values("phone"), "emails": self.values("email"),
                "member_ids": self.values("member_id"),
                "identities": [i.to_dict() for i in self.identities]}


@dataclass(frozen=True)
class Match:
    """A lookup hit and why: matched_by = {kind, input, value, rule}."""

    customer: CustomerView
    matched_by: dict

    def to_dict(self) -> dict:
        return {"customer": self.customer.to_dict(), "matched_by": dict(self.matched_by)}


@dataclass(frozen=True)
class CallerProfile:
    """What the IVR needs for a screen-pop and routing; JSON-safe so it can sit in call state."""

    known: bool
    customer_id: int | None
    name: str | None
    phone: str | None
    phone_kind: str
    matched_by: dict | None = None
    open_ticket_ids: tuple[int, ...] = ()

    def to_dict(self) -> dict:
        data = asdict(self)
        data["open_ticket_ids"] = list(self.open_ticket_ids)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallerProfile:
        return cls(known=bool(data["known"]), customer_id=data.get("customer_id"),
                   name=data.get("name"), phone=data.get("phone"),
                   phone_kind=data["phone_kind"], matched_by=data.get("matched_by"),
                   open_ticket_ids=tuple(data.get("open_ticket_ids") or ()))


@dataclass(frozen=True)
class Contact:
    """One inbound or outbound contact to file: who (raw identities), what, and on which channel.

    `in_reply_to`/`references` are external ids (e.g. email Message-IDs) of earlier contacts on
    the same channel; a match threads this contact onto that ticket whatever its age.
    """

    channel: str
    direction: str = "inbound"
    phone: str | None = None
    email: str | None = None
    member_id: str | None = None
    name: str | None = None
    subject: str | None = None
    text: str | None = None
    external_id: str | None = None
    metadata: dict = field(default_factory=dict)
    attachments: tuple[dict, ...] = ()
    at: dt.datetime | None = None
    author: str | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    ticket_id: int | None = None      # an agent's contact made from this ticket files on it


@dataclass(frozen=True)
class ContactResult:
    """Where a contact was filed; `duplicate` when its external_id was already stored."""

    customer_id: int
    ticket_id: int
    interaction_id: int
    created_customer: bool
    created_ticket: bool
    thread_reason: str
    duplicate: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class TicketView:
    """A ticket's fields as plain values."""

    id: int
    customer_id: int
    subject: str
    status: str
    priority: str
    channel: str
    assignee_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    first_response_at: dt.datetime | None
    solved_at: dt.datetime | None

    def to_dict(self) -> dict:
        data = asdict(self)
        for key in ("created_at", "updated_at", "first_response_at", "solved_at"):
            data[key] = iso(data[key])
        return data


@dataclass(frozen=True)
class TimelineEntry:
    """One interaction on a customer's timeline, with recording links pulled from attachments."""

    id: int
    ticket_id: int
    channel: str
    direction: str
    at: dt.datetime
    author: str | None
    text: str | None
    thread_reason: str
    attachments: tuple[dict, ...]
    metadata: dict

    @property
    def recordings(self) -> list[dict]:
        return [{"recording_id": a.get("recording_id"), "url": a.get("url")}
                for a in self.attachments if a.get("kind") == "recording"]

    def to_dict(self) -> dict:
        return {"id": self.id, "ticket_id": self.ticket_id, "channel": self.channel,
                "direction": self.direction, "at": iso(self.at), "author": self.author,
                "text": self.text, "thread_reason": self.thread_reason,
                "attachments": list(self.attachments), "recordings": self.recordings,
                "links": [a["url"] for a in self.attachments if a.get("url")],
                "metadata": self.metadata}


@dataclass(frozen=True)
class TimelinePage:
    """Newest first; pass `next_before` as `before` to get the next (older) page."""

    entries: tuple[TimelineEntry, ...]
    next_before: int | None


@dataclass(frozen=True)
class MergeResult:
    """A recorded merge: what moved (ids), and after an undo what went back."""

    merge_id: int
    survivor_id: int
    merged_id: int
    moved: dict
    created_at: dt.datetime
    undone_at: dt.datetime | None = None
    restored: dict | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        data["created_at"], data["undone_at"] = iso(self.created_at), iso(self.undone_at)
        return data


@runtime_checkable
class CustomerDirectory(Protocol):
    """Find customers by any identity and file contacts on their timeline."""

    def lookup(self, *, phone: str | None = None, email: str | None = None,
               member_id: str | None = None, region: str = "JP") -> Match | None: ...

    def caller_profile(self, raw_from: str, region: str) -> CallerProfile: ...

    def record_contact(self, contact: Contact, *, region: str,
                       window_days: int) -> ContactResult: ...

    def update_interaction(self, interaction_id: int, *, text: str | None = None,
                           metadata: dict | None = None,
                           attachments: list[dict] | None = None) -> TimelineEntry: ...

    def timeline(self, customer_id: int, limit: int = 50,
                 before: int | None = None) -> TimelinePage: ...

    def open_tickets(self, customer_id: int) -> list[TicketView]: ...
