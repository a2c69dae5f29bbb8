"""What agents do on a ticket: read it, reply by email, add internal notes, change status or owner.

No Flask: views pass a Session, the acting user and a mailer. A reply is stored and sent in one
transaction (the caller commits after `send` returned), so a refused mail leaves no trace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import User, list_agents
from core.events import emit
from crm_link.customers import get_customer
from crm_link.errors import InvalidInput
from crm_link.models import Interaction, Ticket
from crm_link.threads import touch_ticket
from crm_link.tickets import KEEP, get_ticket, update_ticket
from desk.assignment_reassign import reassign, release
from desk.events import TicketWorked
from desk.mailer import OutboundMail, build_message
from desk.reply_templates import ReplyTemplate, fill, values_for
from desk.timeline import Entry, ticket_entries, with_audio

MAX_TEXT = 20_000


@dataclass(frozen=True)
class TicketPage:
    """Everything the ticket page shows."""

    ticket: Ticket
    customer_name: str | None
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    entries: tuple[Entry, ...]
    agents: tuple[User, ...]
    replies: tuple[tuple[str, str, str], ...]  # (key, title, filled body)


def load_page(session: Session, ticket_id: int, user: User,
              templates: list[ReplyTemplate]) -> TicketPage:
    ticket = get_ticket(session, ticket_id)
    customer = get_customer(session, ticket.customer_id)
    emails = tuple(i.value for i in customer.identities if i.kind == "email")
    phones = tuple(i.value for i in customer.identities if i.kind == "phone")
    values = values_for(customer_name=customer.name, email=emails[0] if emails else None,
                        phone=phones[0] if phones else None, ticket_id=ticket.id,
                        subject=ticket.subject, agent_name=user.display_name)
    replies = tuple((t.key, t.title_in(user.language), fill(t.body_in(user.language), values))
                    for t in templates)
    return TicketPage(ticket, customer.name, emails, phones,
                      tuple(with_audio(session, ticket_entries(session, ticket_id))),
                      tuple(list_agents(session)), replies)


def reply(session: Session, ticket_id: int, user: User, text: str, *, sender: str,
          send: Callable[[EmailMessage], None], now: dt.datetime) -> Interaction:
    """Email the customer, file it as an outbound interaction, claim the ticket if unowned."""
    text = _text(text)
    ticket = get_ticket(session, ticket_id)
    to, parent = _recipient(session, ticket)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "desk.invalid"
    message_id = make_msgid(domain=domain)
    subject = ticket.subject if ticket.subject.lower().startswith("re:") else f"Re: {ticket.subject}"
    references = tuple((parent.meta or {}).get("references") or ()) if parent else ()
    msg = build_message(OutboundMail(to=to, subject=subject, text=text,
                                     in_reply_to=parent.external_id if parent else None,
                                     references=references), sender, message_id)
    row = Interaction(ticket_id=ticket.id, customer_id=ticket.customer_id, channel="email",
                      direction="outbound", author=user.display_name, text=text, at=now,
                      attachments=[], external_id=message_id,
                      meta={"by": user.username, "to": to, "subject": subject},
                      thread_reason=f"reply by {user.username} from the desk")
    session.add(row)
    touch_ticket(ticket, "outbound", now)
    if ticket.assignee_id is None:
        ticket.assignee_id = user.id
    if ticket.status == "new":
        ticket.status = "open"
    session.flush()
    send(msg)
    emit(session, TicketWorked(ticket.id, "replied", user.username))
    return row


def add_note(session: Session, ticket_id: int, user: User, text: str,
             now: dt.datetime) -> Interaction:
    """An internal note: visible to agents on the ticket, never sent to the customer."""
    ticket = get_ticket(session, ticket_id)
    row = Interaction(ticket_id=ticket.id, customer_id=ticket.customer_id,
                      channel=ticket.channel, direction="internal", author=user.display_name,
                      text=_text(text), at=now, attachments=[], meta={"by": user.username},
                      thread_reason=f"internal note by {user.username}")
    session.add(row)
    ticket.updated_at = max(ticket.updated_at, now)
    session.flush()
    emit(session, TicketWorked(ticket.id, "noted", user.username))
    return row


def change(session: Session, ticket_id: int, actor: User, *, status: str | None,
           assignee: str | None, now: dt.datetime | None = None) -> Ticket:
    """Status and/or assignee from the ticket form; assignee '' unassigns, None keeps it.

    Owner changes go through the same checked, noted moves as the assignment endpoint.
    """
    ticket = update_ticket(session, ticket_id, status=status or None, assignee_id=KEEP)
    emit(session, TicketWorked(ticket.id, "updated", actor.username))
    wanted = None if assignee in (None, "") else _user_id(session, assignee)
    if assignee is None or wanted == ticket.assignee_id:   # the form re-sends the owner as is
        return get_ticket(session, ticket_id)
    if wanted is None:
        release(session, ticket_id, actor, now)
    else:
        reassign(session, ticket_id, session.get(User, wanted).username, actor, now)
    return get_ticket(session, ticket_id)


def _user_id(session: Session, value: str) -> int:
    try:
        user = session.get(User, int(value))
    except ValueError:
        user = None
    if user is None or not user.active:
        raise InvalidInput(f"{value!r} is not an active agent to assign.", field="assignee")
    return user.id


def _recipient(session: Session, ticket: Ticket) -> tuple[str, Interaction | None]:
    """Where to write: the sender of the customer's last email on the ticket, else their address."""
    parent = session.scalars(select(Interaction).where(
        Interaction.ticket_id == ticket.id, Interaction.channel == "email",
        Interaction.direction == "inbound").order_by(Interaction.at.desc(), Interaction.id.desc())
    ).first()
    if parent is not None and (parent.meta or {}).get("from"):
        return parent.meta["from"], parent
    customer = get_customer(session, ticket.customer_id)
    emails = [i.value for i in customer.identities if i.kind == "email"]
    if not emails:
        raise InvalidInput(f"Customer #{customer.id} has no email address, so ticket "
                           f"#{ticket.id} cannot be answered by email; add an address or "
                           "write an internal note.", field="text")
    return emails[0], parent


def _text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput("The message is empty; write something first.", field="text")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"The message is {len(text)} characters; at most {MAX_TEXT} fit.",
                           field="text")
    return text
