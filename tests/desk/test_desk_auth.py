"""Sign-in and sign-out through the real app: sessions, CSRF, redirects, lock-out."""

from __future__ import annotations

import pytest

from core import accounts
from core.runtime import Runtime
from core.web import security
from core.web.app import create_app
from tests.desk.desk_helpers import PASSWORD, login, page_csrf_token


def test_root_and_desk_send_anonymous_visitors_to_login(client):
    assert client.get("/").headers["Location"] == "/desk"
    response = client.get("/desk")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/desk"


def test_login_then_desk_then_logout(client, make_user, reload_user):
    make_user("alice", display_name="Alice Agent", language="en")
    response = login(client, next_="/desk")
    assert (response.status_code, response.headers["Location"]) == (302, "/desk")
    page = client.get("/desk")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1>Agent desk</h1>" in html and "Alice Agent" in html
    assert reload_user("alice").last_login_at is not None
    client.post("/account/presence", data={"presence": "available",
                                           "csrf_token": page_csrf_token(client, "/desk")})
    assert reload_user("alice").presence == "available"

    response = client.post("/logout", data={"csrf_token": page_csrf_token(client, "/desk")})
    assert (response.status_code, response.headers["Location"]) == (302, "/login")
    assert client.get("/desk").status_code == 302
    assert reload_user("alice").presence == "offline"  # no calls offered after sign-out


def test_signed_in_visitor_skips_the_login_form(signed_in):
    response = signed_in.get("/login?next=/desk/tickets")
    assert response.headers["Location"] == "/desk/tickets"


def test_wrong_password_and_unknown_user_look_the_same(client, make_user):
    make_user("alice")
    wrong = login(client, "alice", "not the password")
    unknown = login(client, "zed00", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    texts = [r.get_data(as_text=True) for r in (wrong, unknown)]
    assert "ユーザー名またはパスワードが正しくない" in texts[0]
    assert texts[0].replace('value="alice"', 'value="zed00"') == texts[1]


def test_locked_account_refused_in_browser_with_the_same_message(client, make_user):
    make_user("alice")
    for _ in range(accounts.MAX_FAILED_LOGINS):
        assert login(client, "alice", "not the password").status_code == 401
    refused = login(client, "alice", PASSWORD)
    assert refused.status_code == 401
    assert refused.get_data(as_text=True) == login(client, "alice", "wrong again!").get_data(
        as_text=True)
    assert client.get("/desk").status_code == 302


@pytest.mark.parametrize("data", [
    {},  # no token at all
    {"csrf_token": ""},
    {"csrf_token": "forged-token-value"},
])
def test_login_post_without_the_session_token_is_refused(client, make_user, data):
    make_user("alice")
    page_csrf_token(client)  # the session has a token; the form below does not carry it
    response = client.post("/login", data={"username": "alice", "password": PASSWORD, **data})
    assert response.status_code == 400
    assert "CSRF token" in response.get_data(as_text=True)
    assert client.get("/desk").status_code == 302


@pytest.mark.parametrize("path, data", [
    ("/logout", {}),
    ("/account/language", {"language": "en"}),
    ("/account/presence", {"presence": "available"}),
])
def test_signed_in_forms_need_the_token(signed_in, reload_user, path, data):
    response = signed_in.post(path, data=data)
    assert response.status_code == 400
    user = reload_user("alice")
    assert (user.language, user.presence) == ("ja", "offline")
    assert signed_in.get("/desk").status_code == 200  # still signed in


@pytest.mark.parametrize("target", [
    "https://evil.example/phish", "//evil.example/phish", "/\\evil.example", "\\\\evil.example",
    "http:/evil.example", "javascript:alert(1)", "/%0d%0aLocation:%20http://evil", "desk",
])
def test_login_never_redirects_off_site(client, make_user, target):
    make_user("alice")
    response = login(client, next_=target)
    assert response.status_code == 302
    assert response.headers["Location"] == (
        "/desk" if not target.startswith("/%0d") else target)


@pytest.mark.parametrize("target, expected", [
    ("/desk/tickets?id=3", "/desk/tickets?id=3"), ("/", "/"), (None, "/home"), ("", "/home"),
    ("//evil.example", "/home"), ("/\\evil.example", "/home"), ("https://x.example/", "/home"),
    ("/ok\r\nSet-Cookie: x=1", "/home"), ("/\x7f", "/home"),
])
def test_safe_next(target, expected):
    assert security.safe_next(target, "/home") == expected


def test_session_rotates_on_login(client, make_user):
    make_user("alice")
    before = page_csrf_token(client)
    login(client)
    with client.session_transaction() as session:
        assert session[security.USER_ID] and session[security.NONCE]
        first_nonce = session[security.NONCE]
    assert page_csrf_token(client, "/desk") != before  # pre-login token is gone
    client.post("/logout", data={"csrf_token": page_csrf_token(client, "/desk")})
    login(client)
    with client.session_transaction() as session:
        assert session[security.NONCE] != first_nonce


def test_password_change_ends_other_sessions(app, make_user, db):
    make_user("alice")
    office, home = app.test_client(), app.test_client()
    login(office), login(home)
    assert office.get("/desk").status_code == home.get("/desk").status_code == 200
    with db.session() as session:
        accounts.set_password(accounts.get_user(session, "alice"), "a brand new secret")
    assert office.get("/desk").status_code == 302
    assert home.get("/desk").status_code == 302
    assert login(home, password="a brand new secret").status_code == 302
    assert home.get("/desk").status_code == 200


def test_disabling_ends_sessions(signed_in, db):
    with db.session() as session:
        accounts.disable(accounts.get_user(session, "alice"))
    assert signed_in.get("/desk").status_code == 302


@pytest.mark.parametrize("idle, signed_in_after", [
    (security.IDLE_TIMEOUT_SECONDS - 60, True), (security.IDLE_TIMEOUT_SECONDS + 1, False)])
def test_idle_sessions_expire(signed_in, idle, signed_in_after):
    with signed_in.session_transaction() as session:
        session[security.SEEN] -= idle
    assert (signed_in.get("/desk").status_code == 200) is signed_in_after


def test_activity_refreshes_the_idle_clock(signed_in):
    with signed_in.session_transaction() as session:
        session[security.SEEN] -= security.IDLE_TIMEOUT_SECONDS - 60
        stale = session[security.SEEN]
    assert signed_in.get("/desk").status_code == 200
    with signed_in.session_transaction() as session:
        assert session[security.SEEN] > stale


@pytest.mark.parametrize("base_url, secure", [("https://desk.example", True),
                                              ("http://localhost:8000", False)])
def test_session_cookie_flags(settings, db, make_user, base_url, secure):
    app = create_app(runtime=Runtime(settings.with_(public_base_url=base_url), db=db))
    make_user("alice")
    response = login(app.test_client())
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert "httponly" in flags and "samesite=lax" in flags
    assert ("secure" in flags) is secure


@pytest.mark.parametrize("age, signed_in_after", [
    (security.MAX_SESSION_SECONDS - 60, True), (security.MAX_SESSION_SECONDS + 1, False)])
def test_sessions_end_after_a_day_however_busy(signed_in, age, signed_in_after):
    with signed_in.session_transaction() as session:
        session[security.STARTED] -= age            # busy all along: the idle clock is fresh
    assert (signed_in.get("/desk").status_code == 200) is signed_in_after


def test_a_copied_cookie_is_refused_after_sign_out(signed_in, app, redis):
    copy = app.test_client()
    cookie = signed_in.get_cookie("session")
    copy.set_cookie("session", cookie.value, domain=cookie.domain)
    assert copy.get("/desk").status_code == 200      # the copy works while the session lives
    with signed_in.session_transaction() as session:
        nonce = session[security.NONCE]
    token = page_csrf_token(signed_in, "/desk")
    assert signed_in.post("/logout", data={"csrf_token": token}).status_code == 302
    assert copy.get("/desk").status_code == 302      # ... and not after sign-out
    assert 0 < redis.ttl(f"desk:revoked:{nonce}") <= security.MAX_SESSION_SECONDS
