"""Desk fixtures: users in the real test database, and a signed-in browser client."""

from __future__ import annotations

import pytest

from desk import accounts
from tests.desk.desk_helpers import login


@pytest.fixture
def reload_user(db):
    """The user's current row, as another process would see it."""

    def reload(username: str) -> accounts.User:
        with db.session() as session:
            return accounts.get_user(session, username)

    return reload


@pytest.fixture
def signed_in(client, make_user):
    """A client signed in as a fresh agent 'alice'."""
    make_user("alice", display_name="Alice Agent")
    response = login(client)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client
