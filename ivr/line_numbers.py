"""Phone numbers on a line: its country, numbers callers type, numbers read back to them."""

from __future__ import annotations

import functools

import phonenumbers


@functools.lru_cache(maxsize=256)
def line_region(numbers: tuple[str, ...], default: str) -> str:
    """The country of a flow's line: its callers dial that country's numbers."""
    if not numbers:
        return default
    return phonenumbers.region_code_for_number(phonenumbers.parse(numbers[0]))


def typed_number(digits: str, region: str) -> str | None:
    """A call-back number the caller typed, in E.164 (the line's own country), or None."""
    try:
        number = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def spoken_number(e164: str, region: str) -> str:
    """How to read a number back to a caller: national format at home, international abroad."""
    number = phonenumbers.parse(e164)
    home = phonenumbers.region_code_for_number(number) == region
    fmt = phonenumbers.PhoneNumberFormat.NATIONAL if home else \
        phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, fmt)
