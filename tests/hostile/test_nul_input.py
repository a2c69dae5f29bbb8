"""NUL characters cannot be stored in PostgreSQL text: every way in refuses them with a 400."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.desk.desk_data import seed_desk
from tests.desk.desk_helpers import login, page_csrf_token


@pytest.fixture
def admin(client, make_user, db, settings):
    make_user("root", role="admin", display_name="Admin")
    assert login(client, "root").status_code == 302
    return client, seed_desk(db, settings.recordings_dir, dt.datetime.now(dt.UTC))


@pytest.mark.parametrize("path, form", [
    ("/desk/tickets/{ticket}/note", {"text": "refund\x00issued"}),
    ("/desk/tickets/{ticket}/update", {"status": "pending\x00"}),
    ("/account/presence", {"presence": "break:休\x00憩"}),
    ("/logout?next=/\x00", {}),
])
def test_forms_refuse_nul_characters(admin, path, form):
    client, seeded = admin
    token = page_csrf_token(client, "/desk")
    response = client.post(path.format(ticket=seeded.pat_ticket),
                           data={**form, "csrf_token": token})
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/desk?folder=mine\x00", "/supervisor/reports?from=2026-11-01\x00",
                                  "/api/customers/lookup?phone=03\x001234"])
def test_query_strings_refuse_nul_characters(admin, api_headers, path):
    client, _ = admin
    response = client.get(path, headers=api_headers if path.startswith("/api") else {})
    assert response.status_code == 400
