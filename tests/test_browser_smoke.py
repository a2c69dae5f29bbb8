"""The browser infrastructure itself: chromium loads the sign-in page and signs in."""

import pytest

from tests.desk.desk_helpers import PASSWORD

pytestmark = pytest.mark.browser


def test_sign_in_in_a_real_browser(page, live_server, make_user):
    make_user("alice", display_name="Alice Agent", language="ja")
    page.goto(f"{live_server.url}/desk")
    assert "/login" in page.url
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action=\"/login\"] button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desk")
    assert "Alice Agent" in page.content()
