"""Fixtures of the customer-record tests: a session on the real test database."""

from __future__ import annotations

import pytest


@pytest.fixture
def session(db):
    """A session committed at the end of the test; the tables are emptied afterwards."""
    with db.session() as s:
        yield s
