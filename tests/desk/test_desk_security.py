"""Access decorators, CSRF opt-in per blueprint, and the headers on desk pages."""

from __future__ import annotations

import re

import pytest
from flask import Blueprint, jsonify

from core.errors import AccountError
from core.web.security import current_user, login_required, protect_pages, role_required
from tests.desk.desk_helpers import login, page_csrf_token


@pytest.fixture
def probe_app(app):
    """The real app plus probe pages: a protected one per role, and unprotected machine routes."""
    pages = protect_pages(Blueprint("probe", __name__, url_prefix="/probe"))

    @pages.get("/agent")
    @login_required
    def agent_page():
        return f"agent page for {current_user().username}"

    @pages.get("/supervisor")
    @role_required("supervisor")
    def supervisor_page():
        return "supervisor page"

    @pages.get("/admin")
    @role_required("admin")
    def admin_page():
        return "admin page"

    @pages.post("/change")
    @login_required
    def change():
        return jsonify(ok=True)

    # Stand-ins for the Twilio webhooks and the bearer-token API: blueprints that do not opt in.
    machines = Blueprint("machines", __name__)

    @machines.post("/twilio/desk-csrf-probe")
    def twilio_voice():
        return "<Response/>", 200, {"Content-Type": "text/xml"}

    @machines.post("/api/desk-csrf-probe")
    def api_tickets():
        return jsonify(created=True), 201

    app.register_blueprint(pages)
    app.register_blueprint(machines)
    return app


@pytest.mark.parametrize("role, path, status", [
    ("agent", "/probe/agent", 200), ("agent", "/probe/supervisor", 403),
    ("agent", "/probe/admin", 403), ("supervisor", "/probe/agent", 200),
    ("supervisor", "/probe/supervisor", 200), ("supervisor", "/probe/admin", 403),
    ("admin", "/probe/agent", 200), ("admin", "/probe/supervisor", 200),
    ("admin", "/probe/admin", 200),
])
def test_role_required(probe_app, make_user, role, path, status):
    make_user("alice", role=role)
    client = probe_app.test_client()
    login(client)
    assert client.get(path).status_code == status


@pytest.mark.parametrize("path", ["/probe/agent", "/probe/supervisor"])
def test_anonymous_page_request_goes_to_login(probe_app, path):
    response = probe_app.test_client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={path}"


@pytest.mark.parametrize("headers", [{"X-Requested-With": "XMLHttpRequest"},
                                     {"Accept": "application/json"}])
def test_anonymous_script_request_gets_401_json(probe_app, headers):
    response = probe_app.test_client().get("/probe/supervisor", headers=headers)
    assert response.status_code == 401
    assert response.get_json() == {"error": "Sign-in required."}


def test_agent_script_request_to_supervisor_page_gets_403_json(probe_app, make_user):
    make_user("alice")
    client = probe_app.test_client()
    login(client)
    response = client.get("/probe/supervisor", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.get_json() == {"error": "This needs the supervisor role."}


def test_unknown_role_is_refused_when_decorating():
    with pytest.raises(AccountError, match="Role 'boss' is not one of"):
        role_required("boss")


@pytest.mark.parametrize("headers, status", [
    ({}, 400), ({"X-CSRF-Token": "forged"}, 400), ({"X-CSRF-Token": "__page__"}, 200)])
def test_json_requests_carry_the_token_in_a_header(probe_app, make_user, headers, status):
    make_user("alice")
    client = probe_app.test_client()
    login(client)
    token = page_csrf_token(client, "/desk")
    headers = {k: (token if v == "__page__" else v) for k, v in headers.items()}
    response = client.post("/probe/change", json={}, headers=headers)
    assert response.status_code == status
    if status == 400:
        assert "CSRF token" in response.get_json()["error"]


@pytest.mark.parametrize("path, status", [("/twilio/desk-csrf-probe", 200),
                                          ("/api/desk-csrf-probe", 201)])
def test_machine_routes_need_no_csrf_token(probe_app, make_user, path, status):
    # Even with a signed-in session cookie present, blueprints that do not opt in are unaffected.
    make_user("alice")
    client = probe_app.test_client()
    login(client)
    assert client.post(path, data={"CallSid": "CA1"}).status_code == status


@pytest.mark.parametrize("path", ["/login", "/desk"])
def test_desk_pages_carry_security_headers(signed_in, path):
    response = signed_in.get(path, follow_redirects=True)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_scripts_or_styles(signed_in):
    html = signed_in.get("/desk").get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all(' src="/desk/static/' in attrs and not body.strip()
                           for attrs, body in scripts)       # files from this site only
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"\son[a-z]+=", html)                 # no inline event handlers
    css = signed_in.get("/desk/static/desk.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
