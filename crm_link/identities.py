"""Identity values (phone, email, member ID) as stored: one normal form per kind, with the rule used."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from email.utils import parseaddr

from crm_link.errors import InvalidInput
from crm_link.phones import parse_phone

KINDS = ("phone", "email", "member_id")
# When one contact names several customers, the most specific identity decides.
PRIORITY = {"member_id": 0, "phone": 1, "email": 2}
MAX_EMAIL = 254
MAX_MEMBER_ID = 64


@dataclass(frozen=True)
class IdentityKey:
    """A normalized identity: what is stored and looked up, plus the input and rule behind it."""

    kind: str
    value: str
    raw: str
    rule: str

    def matched_by(self) -> dict:
        return {"kind": self.kind, "input": self.raw, "value": self.value, "rule": self.rule}


def identity_key(kind: str, raw: str, region: str = "JP", *, field: str | None = None) -> IdentityKey:
    """Normalize one raw identity of a kind; InvalidInput names the value when it is unusable."""
    if not isinstance(raw, str):
        raise InvalidInput(f"{kind} must be a string, not {raw!r}.", field=field or kind)
    if kind == "phone":
        return phone_key(raw, region, field=field)
    if kind == "email":
        return email_key(raw, field=field)
    if kind == "member_id":
        return member_key(raw, field=field)
    raise InvalidInput(f"{kind!r} is not an identity kind ({', '.join(KINDS)}), so {raw!r} "
                       "cannot be used.", field=field)


def phone_key(raw: str, region: str = "JP", *, field: str | None = None) -> IdentityKey:
    parsed = parse_phone(raw, region)
    if not parsed.is_number:
        raise InvalidInput(f"{raw!r} is not a phone number: {parsed.rule}.", field=field or "phone")
    return IdentityKey("phone", parsed.value, raw, parsed.rule)


def email_key(raw: str, *, field: str | None = None) -> IdentityKey:
    """Addresses compare case-insensitively; a display name around the address is dropped."""
    text = unicodedata.normalize("NFKC", raw).strip()
    rule = "lower-cased address"
    if "<" in text:
        text = parseaddr(text)[1]
        rule = "address taken from display form, lower-cased"
    local, at, domain = text.rpartition("@")
    if (not at or not local or not domain or "@" in local or len(text) > MAX_EMAIL
            or any(ch.isspace() for ch in text) or domain.startswith(".")
            or domain.endswith(".")):
        raise InvalidInput(f"{raw!r} is not an email address.", field=field or "email")
    return IdentityKey("email", text.lower(), raw, rule)


def member_key(raw: str, *, field: str | None = None) -> IdentityKey:
    """Member/account IDs: full-width folded (NFKC), trimmed and upper-cased."""
    text = unicodedata.normalize("NFKC", raw).strip().upper()
    if not text or len(text) > MAX_MEMBER_ID or any(ch.isspace() for ch in text):
        raise InvalidInput(f"{raw!r} is not a member ID (1-{MAX_MEMBER_ID} characters, no spaces).",
                           field=field or "member_id")
    return IdentityKey("member_id", text, raw, "NFKC, trimmed, upper-cased")
