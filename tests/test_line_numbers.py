"""Phone numbers on a line: the line's country, numbers callers type, numbers read back."""

import pytest

from ivr.line_numbers import line_region, spoken_number, typed_number


@pytest.mark.parametrize("numbers, default, region", [
    (("+81312345678",), "US", "JP"),      # a Tokyo line's callers dial Japanese numbers
    (("+14155550100",), "JP", "US"),
    ((), "JP", "JP"),                      # a line with no number: the server's region
])
def test_a_lines_country_comes_from_its_first_number(numbers, default, region):
    assert line_region(numbers, default) == region


@pytest.mark.parametrize("digits, region, e164", [
    ("09012345678", "JP", "+819012345678"),
    ("0312345678", "JP", "+81312345678"),
    ("4155550100", "US", "+14155550100"),
    ("123", "JP", None),                   # too short to be a number
    ("", "JP", None),
])
def test_typed_numbers_become_e164_on_the_lines_country(digits, region, e164):
    assert typed_number(digits, region) == e164


@pytest.mark.parametrize("e164, region, spoken", [
    ("+819012345678", "JP", "090-1234-5678"),      # at home: the national format
    ("+14155550100", "JP", "+1 415-555-0100"),     # abroad: international
])
def test_numbers_are_read_back_as_callers_write_them(e164, region, spoken):
    assert spoken_number(e164, region) == spoken
