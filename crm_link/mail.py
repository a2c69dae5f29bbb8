"""Raw RFC 5322 mail to the parts we file: sender, subject, readable text, thread ids, attachments."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email import errors as email_errors
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr

from crm_link.charsets import decode_bytes, decode_words, recover_header
from crm_link.errors import MalformedEmail
from crm_link.htmltext import html_to_text

MSG_ID = re.compile(r"<[^<>\s]{1,250}>")
MAX_REFERENCES = 50
# What the email package raises on headers it cannot make sense of.
HEADER_ERRORS = (email_errors.MessageError, ValueError, IndexError, TypeError, AttributeError,
                 LookupError, UnicodeError)


@dataclass(frozen=True)
class MailAttachment:
    """One non-body part, decoded from its transfer encoding."""

    filename: str | None
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ParsedEmail:
    """What filing needs from one message; `defects` lists the parser's complaints, if any."""

    message_id: str
    sender: str
    sender_name: str | None
    subject: str | None
    text: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    to: tuple[str, ...]
    cc: tuple[str, ...]
    date: str | None
    attachments: tuple[MailAttachment, ...]
    charsets: tuple[str, ...]
    defects: tuple[str, ...]
    size: int

    def metadata(self) -> dict:
        return {"message_id": self.message_id, "in_reply_to": list(self.in_reply_to),
                "references": list(self.references), "from": self.sender, "to": list(self.to),
                "cc": list(self.cc), "date": self.date, "charsets": list(self.charsets),
                "defects": list(self.defects), "size": self.size}


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse with the standard library (policy.default); MalformedEmail says what is unusable."""
    if not raw.strip():
        raise MalformedEmail("The message is empty.")
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    if not list(msg.raw_items()):
        raise MalformedEmail(f"The message has no header fields (starts {raw[:40]!r}).")
    sender, name = _sender(msg)
    texts: list[str] = []
    charsets: list[str] = []
    attachments: list[MailAttachment] = []
    for part in _leaves(msg):
        _collect(part, texts, charsets, attachments)
    message_id = _ids(_header(msg, "Message-ID"))
    return ParsedEmail(
        message_id=message_id[0] if message_id else _fallback_id(raw),
        sender=sender, sender_name=name, subject=_header(msg, "Subject"),
        text="\n\n".join(t.strip() for t in texts if t.strip()),
        in_reply_to=_ids(_header(msg, "In-Reply-To"))[:MAX_REFERENCES],
        references=_ids(_header(msg, "References"))[-MAX_REFERENCES:],
        to=_addresses(msg, "To"), cc=_addresses(msg, "Cc"), date=_raw(msg, "Date"),
        attachments=tuple(attachments), charsets=tuple(dict.fromkeys(charsets)),
        defects=tuple(_defects(msg)), size=len(raw))


def _sender(msg: EmailMessage) -> tuple[str, str | None]:
    """The first From address with an @, and its display name."""
    raw_from = _raw(msg, "From")
    try:
        header = msg["From"]
        addresses = header.addresses if header is not None else ()
    except HEADER_ERRORS as exc:
        raise MalformedEmail(f"The From header {raw_from!r} cannot be read ({exc}).") from exc
    for address in addresses:
        if address.username and address.domain:
            name = address.display_name
            if raw_from and "=?" in raw_from:  # re-decode so Shift_JIS names read as CP932
                name = parseaddr(_header(msg, "From") or "")[0] or name
            return address.addr_spec, recover_header(name).strip() or None
    raise MalformedEmail(f"The message has no usable From address (From: {raw_from!r}).")


def _leaves(part: EmailMessage):
    """Body-bearing parts in order; of a multipart/alternative only the best rendering."""
    if part.get_content_maintype() != "multipart":
        yield part
        return
    children = list(part.iter_parts())
    if part.get_content_subtype() == "alternative" and children:
        rank = {"text/plain": 0, "text/html": 1}
        best = min(children, key=lambda c: rank.get(c.get_content_type(), 2))
        yield from _leaves(best)
        return
    for child in children:
        yield from _leaves(child)


def _collect(part: EmailMessage, texts: list[str], charsets: list[str],
             attachments: list[MailAttachment]) -> None:
    """Inline text/plain and text/html join the body; every other part is an attachment."""
    ctype = part.get_content_type()
    inline = part.get_content_disposition() != "attachment"
    if inline and ctype in ("text/plain", "text/html"):
        text, codec = decode_bytes(part.get_payload(decode=True) or b"",
                                   part.get_content_charset())
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        texts.append(html_to_text(text) if ctype == "text/html" else text)
        charsets.append(codec)
        return
    attachments.append(MailAttachment(_filename(part), ctype, _part_bytes(part)))


def _part_bytes(part: EmailMessage) -> bytes:
    if part.get_content_maintype() in ("message", "multipart"):
        return part.as_bytes(policy=policy.default.clone(linesep="\r\n"))
    return part.get_payload(decode=True) or b""


def _filename(part: EmailMessage) -> str | None:
    try:
        name = part.get_filename()
    except HEADER_ERRORS:
        return None
    return recover_header(name) if name else None


def _header(msg: EmailMessage, name: str) -> str | None:
    """A header decoded from RFC 2047 (or from raw 8-bit bytes, as some Japanese mailers send)."""
    raw = _raw(msg, name)
    if raw is None:
        return None
    try:
        return decode_words(raw).strip()
    except HEADER_ERRORS:
        return raw.strip()


def _raw(msg: EmailMessage, name: str) -> str | None:
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return value
    return None


def _addresses(msg: EmailMessage, name: str) -> tuple[str, ...]:
    try:
        header = msg[name]
        return tuple(a.addr_spec for a in header.addresses) if header is not None else ()
    except HEADER_ERRORS:
        return ()


def _ids(value: str | None) -> tuple[str, ...]:
    """Message-ids as <...> tokens; a bare id without brackets is bracketed."""
    if not value:
        return ()
    found = MSG_ID.findall(value)
    if not found and value.strip() and " " not in value.strip():
        found = [f"<{value.strip()[:250]}>"]
    return tuple(dict.fromkeys(found))


def _fallback_id(raw: bytes) -> str:
    """Mail without Message-ID still gets a stable id, so a re-delivery is stored once."""
    return f"<sha256-{hashlib.sha256(raw).hexdigest()}@crm-link.invalid>"


def _defects(msg: EmailMessage) -> list[str]:
    found = [type(d).__name__ for d in msg.defects]
    for part in msg.walk():
        if part is not msg:
            found += [type(d).__name__ for d in part.defects]
    return list(dict.fromkeys(found))
