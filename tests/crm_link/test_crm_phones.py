"""Caller-ID normalization: every spelling of a number gives one E.164 value; non-numbers are classified."""

import pytest

from crm_link.errors import InvalidInput
from crm_link.phones import parse_phone

TOKYO = "+81312345678"


@pytest.mark.parametrize("raw, region, value, rule", [
    # One Tokyo landline written every way Japanese callers and systems write it.
    ("03-1234-5678", "JP", TOKYO, "national format with region JP"),
    ("0312345678", "JP", TOKYO, "national format with region JP"),
    ("(03)1234-5678", "JP", TOKYO, "national format with region JP"),
    ("03 1234 5678", "JP", TOKYO, "national format with region JP"),
    ("０３-１２３４-５６７８", "JP", TOKYO, "national format with region JP"),
    ("０３ー１２３４ー５６７８", "JP", TOKYO, "national format with region JP"),
    ("03−1234−5678", "JP", TOKYO, "national format with region JP"),
    ("+81 3 1234 5678", "JP", TOKYO, "international format with +"),
    ("+81-3-1234-5678", "US", TOKYO, "international format with +"),
    ("+81312345678", "JP", TOKYO, "E.164"),
    ("＋８１３１２３４５６７８", "JP", TOKYO, "E.164"),
    ("0081312345678", "JP", TOKYO, "international prefix 00"),
    ("00 81 3 1234 5678", "US", TOKYO, "international prefix 00"),
    ("010 81 3 1234 5678", "JP", TOKYO, "international prefix of region JP"),
    ("011 81 3 1234 5678", "US", TOKYO, "international prefix of region US"),
    ("tel:+81-3-1234-5678", "JP", TOKYO, "tel: URI, international format with +"),
    ("  03-1234-5678  ", "JP", TOKYO, "national format with region JP"),
    # Japanese mobile, IP phone, toll-free and Navi Dial numbers.
    ("090-1234-5678", "JP", "+819012345678", "national format with region JP"),
    ("080 1234 5678", "JP", "+818012345678", "national format with region JP"),
    ("070-1234-5678", "JP", "+817012345678", "national format with region JP"),
    ("050-1234-5678", "JP", "+815012345678", "national format with region JP"),
    ("0120-123-456", "JP", "+81120123456", "national format with region JP"),
    ("０１２０－１２３－４５６", "JP", "+81120123456", "national format with region JP"),
    ("0800-123-4567", "JP", "+818001234567", "national format with region JP"),
    ("0570-064-556", "JP", "+81570064556", "national format with region JP"),
    ("06-6123-4567", "JP", "+81661234567", "national format with region JP"),
    # United States and United Kingdom.
    ("(415) 555-2671", "US", "+14155552671", "national format with region US"),
    ("+1 415-555-2671", "JP", "+14155552671", "international format with +"),
    ("1-415-555-2671", "US", "+14155552671", "country code without + (region US)"),
    ("81312345678", "JP", TOKYO, "country code without + (region JP)"),
    ("020 7946 0958", "GB", "+442079460958", "national format with region GB"),
    ("+44 20 7946 0958", "JP", "+442079460958", "international format with +"),
    ("07911 123456", "GB", "+447911123456", "national format with region GB"),
])
def test_numbers_normalize_to_e164(raw, region, value, rule):
    parsed = parse_phone(raw, region)
    assert (parsed.kind, parsed.value, parsed.rule) == ("e164", value, rule)
    assert parsed.raw == raw


@pytest.mark.parametrize("raw, kind", [
    ("anonymous", "anonymous"),
    ("Anonymous", "anonymous"),
    ("restricted", "anonymous"),
    ("RESTRICTED", "anonymous"),
    ("unknown", "anonymous"),
    ("private", "anonymous"),
    ("非通知", "anonymous"),
    ("公衆電話", "anonymous"),
    ("+266696687", "anonymous"),
    ("266696687", "anonymous"),
    ("+7378742833", "anonymous"),
    ("+8656696", "anonymous"),
    ("+2562533", "anonymous"),
    ("client:alice", "client"),
    ("Client:Alice", "client"),
    ("sip:bob@example.com", "sip"),
    ("sip:+81312345678@sip.example.com", "sip"),
    ("sips:carol@example.com", "sip"),
    ("", "invalid"),
    ("   ", "invalid"),
    (None, "invalid"),
    ("+", "invalid"),
    ("++", "invalid"),
    ("-", "invalid"),
    ("abc", "invalid"),
    ("12", "invalid"),
    ("03-1234", "invalid"),
    ("+81 3 1234 5678 9999 0000", "invalid"),
    ("0" * 60, "invalid"),
    ("+999 1234 5678", "invalid"),
])
def test_non_numbers_are_classified_not_crashed_on(raw, kind):
    parsed = parse_phone(raw, "JP")
    assert parsed.kind == kind
    assert parsed.value is None
    assert not parsed.is_number
    assert parsed.rule  # a reason a human can read


@pytest.mark.parametrize("region", ["", "XX", "Japan", "jp "])
def test_unknown_regions_are_refused_or_normalized(region):
    if region.strip().upper() == "JP":
        assert parse_phone("03-1234-5678", region).value == TOKYO
        return
    with pytest.raises(InvalidInput, match="region"):
        parse_phone("03-1234-5678", region)
