"""CSRF on every form: each state-changing route a browser session can reach refuses a request
without the session's token, whichever blueprint added it (new pages are covered automatically)."""

from __future__ import annotations

import pytest

from tests.desk.desk_helpers import login, page_csrf_token

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
# Routes not authenticated by the browser session: Twilio signs its requests, the JSON API
# takes a bearer token and ignores cookies (checked below).
NOT_COOKIE_AUTHENTICATED = ("twilio.", "media.", "crm_link.", "agents.")


def unsafe_routes(app) -> list[tuple[str, str, str]]:
    """(method, url, endpoint) for every unsafe route, with placeholder path arguments."""
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith(NOT_COOKIE_AUTHENTICATED):
                continue
            args = {name: 1 if type(conv).__name__ in ("DatabaseId", "IntegerConverter") else "x"
                    for name, conv in rule._converters.items()}
            url = rule.build(args, append_unknown=False)[1]
            routes.extend((method, url, rule.endpoint) for method in sorted(rule.methods & set(UNSAFE)))
    return routes


@pytest.fixture
def admin(client, make_user):
    make_user("root", role="admin", display_name="Admin")
    assert login(client, "root").status_code == 302
    return client


def test_the_app_has_forms_to_protect(app):
    endpoints = {endpoint for _, _, endpoint in unsafe_routes(app)}
    assert {"auth.login_submit", "auth.logout", "auth.set_presence", "recordings.remove"} <= endpoints


def test_every_unsafe_route_refuses_a_request_without_the_token(app, admin):
    refused, accepted = [], []
    for method, url, endpoint in unsafe_routes(app):
        response = admin.open(url, method=method, data={"x": "1"})
        body = response.get_data(as_text=True)
        (refused if response.status_code == 400 and "CSRF" in body else accepted).append(
            f"{method} {url} ({endpoint}) -> {response.status_code}")
    assert not accepted, "routes that took a request without a CSRF token:\n" + "\n".join(accepted)
    assert refused


def test_a_wrong_token_is_refused_and_the_right_one_passes_the_check(admin):
    wrong = admin.post("/account/presence", data={"presence": "break:休憩", "csrf_token": "forged"})
    assert wrong.status_code == 400
    token = page_csrf_token(admin, "/desk")
    right = admin.post("/account/presence", data={"presence": "break:休憩", "csrf_token": token,
                                                  "next": "/desk"})
    assert right.status_code == 302


@pytest.mark.parametrize("method, url, body", [
    ("post", "/api/messages", {"channel": "chat", "from": "+81312345678", "text": "hi"}),
    ("put", "/api/agents/root/status", {"status": "available"}),
])
def test_the_json_api_ignores_the_session_cookie(admin, method, url, body):
    response = getattr(admin, method)(url, json=body)
    assert response.status_code == 401
