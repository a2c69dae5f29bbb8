"""Filing contacts: find or create the customer, thread onto a ticket, store the interaction once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import Database, utcnow
from crm_link.customers import attach_identities, flag_duplicates, owners_of
from crm_link.directory import Contact, ContactResult, TimelineEntry
from crm_link.errors import InvalidInput, NotFound
from crm_link.identities import PRIORITY, IdentityKey, identity_key
from crm_link.models import CHANNELS, DIRECTIONS, Customer, Interaction, Ticket
from crm_link.phones import check_region, parse_phone
from crm_link.threads import choose_ticket, touch_ticket
from crm_link.tickets import entry_of

MAX_EXTERNAL_ID = 255


def record_contact(session: Session, contact: Contact, *, region: str = "JP",
                   window_days: int = 7) -> ContactResult:
    """File one contact; the same (channel, external_id) twice is stored once (duplicate=True).

    A concurrent writer filing the same external_id (or creating the same identity) at the same
    moment makes the flush raise IntegrityError and the transaction unusable: roll back and
    call again (`file_contact` does), the second call finds the winner's row.
    """
    at = _check(contact, region, window_days)
    existing = find_stored(session, contact.channel, contact.external_id)
    if existing is not None:
        return _duplicate(existing)
    return _record(session, contact, at, region, window_days)


def file_contact(db: Database, contact: Contact, *, region: str = "JP",
                 window_days: int = 7) -> ContactResult:
    """record_contact in a transaction of its own, retried once after a unique-key race."""
    try:
        with db.session() as session:
            return record_contact(session, contact, region=region, window_days=window_days)
    except IntegrityError:
        with db.session() as session:
            return record_contact(session, contact, region=region, window_days=window_days)


def update_interaction(session: Session, interaction_id: int, *, text: str | None = None,
                       metadata: dict | None = None,
                       attachments: list[dict] | None = None) -> TimelineEntry:
    """Late data from workers: text replaces, metadata merges key by key, attachments append."""
    row = session.get(Interaction, interaction_id)
    if row is None:
        raise NotFound(f"There is no interaction #{interaction_id}.", field="interaction_id")
    if text is not None:
        row.text = _typed(text, str, "text")
    if metadata is not None:
        row.meta = {**(row.meta or {}), **_typed(metadata, dict, "metadata")}
    if attachments is not None:
        current = list(row.attachments or [])
        for item in _typed(attachments, list, "attachments"):
            if not isinstance(item, dict):
                raise InvalidInput(f"Each attachment must be an object, not {item!r}.",
                                   field="attachments")
            if item not in current:
                current.append(item)
        row.attachments = current
    session.flush()
    return entry_of(row)


def _record(session: Session, contact: Contact, at: dt.datetime, region: str,
            window_days: int) -> ContactResult:
    keys, meta = _sender(contact, region)
    replied = _answered(session, contact)
    created_customer = False
    on_ticket = _on_ticket(session, contact)
    if on_ticket is not None:
        customer_id = on_ticket.customer_id
    elif replied is not None:
        customer_id = replied[0].customer_id
    else:
        customer_id, created_customer, matched = _customer_for(session, keys, contact)
        if matched is not None:
            meta["matched_by"] = matched.matched_by()
    if on_ticket is not None:
        ticket, created_ticket = on_ticket, False
        reason = f"{contact.direction} {contact.channel} from ticket #{on_ticket.id}"
    else:
        ticket, created_ticket, reason = choose_ticket(session, customer_id, contact, at,
                                                       window_days, replied)
    row = Interaction(ticket_id=ticket.id, customer_id=customer_id, channel=contact.channel,
                      direction=contact.direction, author=contact.author or contact.name,
                      text=contact.text, at=at, attachments=list(contact.attachments),
                      meta={**contact.metadata, **meta}, external_id=contact.external_id,
                      thread_reason=reason[:300])
    session.add(row)
    touch_ticket(ticket, contact.direction, at)
    session.flush()
    return ContactResult(customer_id, ticket.id, row.id, created_customer, created_ticket,
                         row.thread_reason)


def _sender(contact: Contact, region: str) -> tuple[list[IdentityKey], dict]:
    """Usable identity keys of the sender, and metadata saying what the caller ID was."""
    keys: list[IdentityKey] = []
    meta: dict = {}
    if contact.phone is not None:
        parsed = parse_phone(contact.phone, region)
        meta["caller"] = {"raw": parsed.raw, "kind": parsed.kind, "value": parsed.value,
                          "rule": parsed.rule}
        if parsed.is_number:
            keys.append(IdentityKey("phone", parsed.value, parsed.raw, parsed.rule))
    for kind, raw in (("email", contact.email), ("member_id", contact.member_id)):
        if raw is not None:
            keys.append(identity_key(kind, raw, region, field=f"from.{kind}"))
    return keys, meta


def _customer_for(session: Session, keys: list[IdentityKey],
                  contact: Contact) -> tuple[int, bool, IdentityKey | None]:
    """The owner of the sender's identities, else a new customer (anonymous if it has none).

    Several owners are never merged: the most specific identity decides, the others are flagged
    as possible duplicates. Identities the sender gave that nobody owns join the chosen customer.
    """
    source = f"contact:{contact.channel}"
    owners = owners_of(session, keys)
    if not owners:
        customer = Customer(name=contact.name, anonymous=not keys)
        session.add(customer)
        session.flush()
        attach_identities(session, customer, [("from", k) for k in keys], source=source)
        return customer.id, True, keys[0] if keys else None
    ranked = sorted(keys, key=lambda k: PRIORITY[k.kind])
    owned = [k for k in ranked if (k.kind, k.value) in owners]
    chosen = owners[(owned[0].kind, owned[0].value)].customer_id
    for key in owned[1:]:
        other = owners[(key.kind, key.value)].customer_id
        if other != chosen:
            flag_duplicates(session, chosen, other,
                            f"One {contact.channel} contact matched customer #{chosen} by "
                            f"{owned[0].kind} {owned[0].value} and customer #{other} by "
                            f"{key.kind} {key.value}.")
    customer = session.get(Customer, chosen)
    unowned = [("from", k) for k in keys if (k.kind, k.value) not in owners]
    attach_identities(session, customer, unowned, source=source)
    if customer.name is None and contact.name:
        customer.name = contact.name
    return chosen, False, owned[0]


def _on_ticket(session: Session, contact: Contact) -> Ticket | None:
    """The ticket an agent's contact was made from (a closed one starts a new ticket)."""
    if contact.ticket_id is None:
        return None
    ticket = session.get(Ticket, contact.ticket_id)
    if ticket is None:
        raise NotFound(f"There is no ticket #{contact.ticket_id}.", field="ticket_id")
    return None if ticket.status == "closed" else ticket


def _answered(session: Session, contact: Contact) -> tuple[Interaction, str, str] | None:
    """The earlier interaction this one replies to: In-Reply-To first, then References newest first."""
    wanted = [("In-Reply-To", i) for i in contact.in_reply_to]
    wanted += [("References", i) for i in reversed(contact.references)]
    if not wanted:
        return None
    rows = session.scalars(select(Interaction).where(
        Interaction.channel == contact.channel,
        Interaction.external_id.in_({i for _, i in wanted}))).all()
    by_id = {r.external_id: r for r in rows}
    for header, ident in wanted:
        if ident in by_id:
            return by_id[ident], header, ident
    return None


def find_stored(session: Session, channel: str, external_id: str | None) -> Interaction | None:
    """The interaction already filed under this (channel, external_id), if any."""
    if not external_id:
        return None
    return session.scalars(select(Interaction).where(
        Interaction.channel == channel, Interaction.external_id == external_id)).first()


def _duplicate(row: Interaction) -> ContactResult:
    """The first filing of this external_id; nothing was created by this call."""
    return ContactResult(row.customer_id, row.ticket_id, row.id, False, False,
                         row.thread_reason, duplicate=True)


def _check(contact: Contact, region: str, window_days: int) -> dt.datetime:
    """Reject contacts the tables would refuse, with sentences naming the value."""
    check_region(region)
    if contact.channel not in CHANNELS:
        raise InvalidInput(f"{contact.channel!r} is not a channel ({', '.join(CHANNELS)}).",
                           field="channel")
    if contact.direction not in DIRECTIONS:
        raise InvalidInput(f"{contact.direction!r} is not a direction "
                           f"({', '.join(DIRECTIONS)}).", field="direction")
    if contact.external_id is not None and not 0 < len(contact.external_id) <= MAX_EXTERNAL_ID:
        raise InvalidInput(f"external_id {contact.external_id[:40]!r} must be 1-"
                           f"{MAX_EXTERNAL_ID} characters.", field="external_id")
    if window_days < 0:
        raise InvalidInput(f"The thread window must not be negative, not {window_days}.",
                           field="window_days")
    at = contact.at or utcnow()
    if at.tzinfo is None:
        raise InvalidInput(f"Contact time {at!r} has no time zone; give an aware datetime.",
                           field="at")
    return at.astimezone(dt.UTC)


def _typed(value, kind: type, name: str):
    if not isinstance(value, kind):
        raise InvalidInput(f"{name} must be a {kind.__name__}, not {value!r}.", field=name)
    return value

