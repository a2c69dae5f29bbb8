"""Caller-ID text to E.164, or a classification of why it is not a number (anonymous, SIP...)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from phonenumbers import CountryCodeSource, NumberParseException, PhoneNumberFormat

from crm_link.errors import InvalidInput

PHONE_KINDS = ("e164", "anonymous", "client", "sip", "invalid")

# Words carriers and Twilio put in From when the number is withheld (Japanese: 非通知 etc.).
ANONYMOUS_WORDS = frozenset({
    "anonymous", "restricted", "unknown", "private", "unavailable", "blocked", "withheld",
    "anonymous caller", "private number", "非通知", "通知不可能", "公衆電話", "表示圏外",
})
# Twilio spells withheld callers on the keypad: ANONYMOUS, RESTRICTED, UNKNOWN, BLOCKED, UNAVAILABLE.
KEYPAD_WORDS = frozenset({"266696687", "7378742833", "8656696", "2562533", "86282452253"})
DASHES = re.compile("[\u2010-\u2015\u2212\u30fc\uff70\u301c\uff5e~]")
MAX_INPUT = 40


@dataclass(frozen=True)
class PhoneParse:
    """How one raw caller-ID string was read: an E.164 value, or why it is not a number."""

    raw: str
    kind: str
    value: str | None
    rule: str

    @property
    def is_number(self) -> bool:
        return self.kind == "e164"


def parse_phone(raw: str | None, region: str = "JP") -> PhoneParse:
    """Normalize any way a number is written (national, +, 00, full-width) to E.164."""
    region = check_region(region)
    original = "" if raw is None else str(raw)
    text = DASHES.sub("-", unicodedata.normalize("NFKC", original)).strip()
    special = _classify_special(original, text)
    if special is not None:
        return special
    if len(text) > MAX_INPUT:
        return PhoneParse(original, "invalid", None, f"longer than {MAX_INPUT} characters")
    uri = text.lower().startswith("tel:")
    if uri:
        text = text[4:].split(";", 1)[0]
    parsed = _parse(text, region)
    if isinstance(parsed, str):
        return PhoneParse(original, "invalid", None, parsed)
    number, rule = parsed
    value = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    if rule == "international format with +" and text == value:
        rule = "E.164"
    return PhoneParse(original, "e164", value, f"tel: URI, {rule}" if uri else rule)


def check_region(region: str) -> str:
    """A region phonenumbers knows (two letters, e.g. JP), upper-cased."""
    code = (region or "").strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInput(f"{region!r} is not a region code phonenumbers knows (e.g. JP, US).",
                           field="region")
    return code


def _classify_special(original: str, text: str) -> PhoneParse | None:
    """Withheld, client:, sip: and empty caller IDs, which must never become identities."""
    lowered = text.lower()
    if not lowered:
        return PhoneParse(original, "invalid", None, "empty caller ID")
    if lowered in ANONYMOUS_WORDS:
        return PhoneParse(original, "anonymous", None, f"withheld number ({text!r})")
    if lowered.lstrip("+") in KEYPAD_WORDS:
        return PhoneParse(original, "anonymous", None,
                          f"Twilio's keypad spelling of a withheld number ({text})")
    if lowered.startswith("client:"):
        return PhoneParse(original, "client", None, "Twilio Client identity, not a number")
    if lowered.startswith(("sip:", "sips:")):
        return PhoneParse(original, "sip", None, "SIP URI, not a number")
    if not any(ch.isdigit() for ch in text):
        return PhoneParse(original, "invalid", None, f"no digits in {text!r}")
    return None


def _parse(text: str, region: str) -> tuple[phonenumbers.PhoneNumber, str] | str:
    """The parsed number and the rule used, or the reason it is not a valid number."""
    if text.startswith("00"):
        candidate, rule = "+" + text[2:], "international prefix 00"
    else:
        candidate, rule = text, ""
    try:
        number = phonenumbers.parse(candidate, region, keep_raw_input=True)
    except NumberParseException as exc:
        return f"not a phone number ({exc._msg})"
    if not phonenumbers.is_valid_number(number):
        return f"not a valid number (read with region {region})"
    return number, rule or _rule_for(number, region)


def _rule_for(number: phonenumbers.PhoneNumber, region: str) -> str:
    source = number.country_code_source
    if source == CountryCodeSource.FROM_NUMBER_WITH_PLUS_SIGN:
        return "international format with +"
    if source == CountryCodeSource.FROM_NUMBER_WITH_IDD:
        return f"international prefix of region {region}"
    if source == CountryCodeSource.FROM_NUMBER_WITHOUT_PLUS_SIGN:
        return f"country code without + (region {region})"
    return f"national format with region {region}"


def national_format(e164: str, region: str = "JP") -> str:
    """How people of `region` write a number: 090-1234-5678 at home, +1 212-555-0100 abroad."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == check_region(region):
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
