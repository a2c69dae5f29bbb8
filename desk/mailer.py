"""Outbound email for agents' replies: MIME building (UTF-8) and delivery over SMTP. No Flask.

Configured by SMTP_URL, e.g. `smtp://user:pass@mail.example.jp:587` (STARTTLS is used when
the server offers it), `smtps://user:pass@host:465` (TLS from the start) or `smtp://localhost:25`,
and SMTP_FROM, the From header of replies (`ABCストア サポート <support@example.jp>`).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import unquote, urlsplit

from desk.errors import DeskError

TIMEOUT_SECONDS = 20


class MailError(DeskError):
    """Mail could not be built or delivered; the message says why."""


class MailNotConfigured(MailError):
    """SMTP_URL or SMTP_FROM is missing."""


@dataclass(frozen=True)
class OutboundMail:
    """One reply: plain text, threaded under the customer's message when we know its id."""

    to: str
    subject: str
    text: str
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class SmtpTarget:
    """Where SMTP_URL says to deliver."""

    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpTarget:
    """smtp://[user:pass@]host[:port] or smtps://...; anything else is refused by name."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailNotConfigured(f"SMTP_URL must look like smtp://user:pass@host:587 or "
                                f"smtps://host:465, not {_masked(url)!r}.")
    implicit = parts.scheme == "smtps"
    try:
        port = parts.port or (465 if implicit else 25)
    except ValueError:
        raise MailNotConfigured(f"SMTP_URL {_masked(url)!r} has an invalid port.") from None
    return SmtpTarget(parts.hostname, port, implicit,
                      unquote(parts.username) if parts.username else None,
                      unquote(parts.password) if parts.password else None)


def _masked(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def build_message(mail: OutboundMail, sender: str, message_id: str | None = None) -> EmailMessage:
    """A standards-compliant message; non-ASCII headers and body are encoded as UTF-8."""
    name, address = parseaddr(sender)
    if "@" not in address:
        raise MailNotConfigured(f"SMTP_FROM must be an address like support@example.jp, "
                                f"not {sender!r}.")
    if "@" not in parseaddr(mail.to)[1]:
        raise MailError(f"{mail.to!r} is not an email address to reply to.")
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = Address(display_name=name, addr_spec=address)
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id or make_msgid(domain=address.rsplit("@", 1)[1])
    if mail.in_reply_to:
        msg["In-Reply-To"] = mail.in_reply_to
    refs = [*mail.references, *([mail.in_reply_to] if mail.in_reply_to else [])]
    if refs:
        msg["References"] = " ".join(dict.fromkeys(refs))
    msg.set_content(mail.text, charset="utf-8", cte="base64")  # 7-bit safe on any relay
    return msg


class SmtpMailer:
    """Delivers messages to one SMTP server, a fresh connection per message (replies are rare)."""

    def __init__(self, url: str, sender: str):
        if not url or not sender:
            raise MailNotConfigured("Email replies need SMTP_URL (smtp://user:pass@host:port) "
                                    "and SMTP_FROM (the From address) to be set.")
        self.target = parse_smtp_url(url)
        self.sender = sender

    def send(self, msg: EmailMessage) -> None:
        """Hand the message over; a refusal or a network failure raises MailError."""
        t = self.target
        try:
            if t.implicit_tls:
                smtp = smtplib.SMTP_SSL(t.host, t.port, timeout=TIMEOUT_SECONDS,
                                        context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(t.host, t.port, timeout=TIMEOUT_SECONDS)
            with smtp:
                smtp.ehlo()
                if not t.implicit_tls and smtp.has_extn("starttls"):
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if t.username:
                    smtp.login(t.username, t.password or "")
                smtp.send_message(msg)
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"The mail server {t.host}:{t.port} did not accept the reply: "
                            f"{exc}.") from exc


def mailer_for(smtp_url: str, smtp_from: str) -> SmtpMailer:
    return SmtpMailer(smtp_url, smtp_from)
