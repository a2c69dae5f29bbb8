"""Inbound email filed on the customer record, and mail we cannot file kept for inspection."""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from crm_link.attachments import AttachmentStore
from crm_link.contacts import find_stored, record_contact
from crm_link.directory import Contact, ContactResult
from crm_link.mail import ParsedEmail
from crm_link.models import RejectedMessage


def file_email(session: Session, parsed: ParsedEmail, *, store: AttachmentStore,
               region: str = "JP", window_days: int = 7) -> ContactResult:
    """Thread by Message-ID/In-Reply-To/References; attachments are stored only for new mail."""
    stored = find_stored(session, "email", parsed.message_id)
    if stored is not None:
        return record_contact(session, Contact(channel="email", email=parsed.sender,
                                               external_id=parsed.message_id),
                              region=region, window_days=window_days)
    files = tuple(store.save(a.data, a.filename, a.content_type) for a in parsed.attachments)
    author = f"{parsed.sender_name} <{parsed.sender}>" if parsed.sender_name else parsed.sender
    contact = Contact(channel="email", email=parsed.sender, name=parsed.sender_name,
                      subject=parsed.subject, text=parsed.text, external_id=parsed.message_id,
                      metadata=parsed.metadata(), attachments=files, author=author,
                      in_reply_to=parsed.in_reply_to, references=parsed.references)
    return record_contact(session, contact, region=region, window_days=window_days)


def keep_rejected(session: Session, raw: bytes, reason: str, *, source: str = "email") -> int:
    """Store the raw bytes and the reason; returns the id a human can look up."""
    row = RejectedMessage(source=source, reason=reason, size=len(raw),
                          sha256=hashlib.sha256(raw).hexdigest(), raw=raw)
    session.add(row)
    session.flush()
    return row.id
