"""Japanese and English pages, language switching, and presence switching from the header."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core import accounts
from core.web import i18n
from tests.desk.desk_helpers import login, page_csrf_token

JA = {"heading": "<h1>エージェントデスク</h1>", "logout": "サインアウト", "role": "エージェント"}
EN = {"heading": "<h1>Agent desk</h1>", "logout": "Sign out", "role": "Agent"}


def test_catalogues_have_the_same_keys():
    assert set(i18n.MESSAGES["ja"]) == set(i18n.MESSAGES["en"])


def test_every_key_used_in_templates_exists():
    used = set()
    for path in (Path(i18n.__file__).parent / "templates").rglob("*.html"):
        used |= set(re.findall(r't\("([a-z._]+)"\)', path.read_text()))
    # Keys built in templates from a value, e.g. t("role." ~ user.role).
    used |= {f"role.{r}" for r in accounts.ROLES} | {f"presence.{p}" for p in accounts.PRESENCES}
    used |= {f"language.{lang}" for lang in accounts.LANGUAGES}
    assert used <= set(i18n.MESSAGES["en"])


def test_unknown_key_fails_loudly():
    with pytest.raises(KeyError):
        i18n.translate("en", "no.such.key")


@pytest.mark.parametrize("language, texts, other", [("ja", JA, EN), ("en", EN, JA)])
def test_desk_renders_in_the_users_language(client, make_user, language, texts, other):
    make_user("alice", language=language)
    login(client)
    html = client.get("/desk").get_data(as_text=True)
    assert f'<html lang="{language}">' in html
    for text in texts.values():
        assert text in html
    assert other["heading"] not in html and other["logout"] not in html


def test_switching_language_is_saved_on_the_user(signed_in, reload_user):
    assert JA["heading"] in signed_in.get("/desk").get_data(as_text=True)
    response = signed_in.post("/account/language", data={
        "language": "en", "next": "/desk", "csrf_token": page_csrf_token(signed_in, "/desk")})
    assert response.headers["Location"] == "/desk"
    assert EN["heading"] in signed_in.get("/desk").get_data(as_text=True)
    assert reload_user("alice").language == "en"


def test_switching_to_an_unknown_language_is_refused(signed_in, reload_user):
    response = signed_in.post("/account/language", json={"language": "fr"},
                              headers={"X-CSRF-Token": page_csrf_token(signed_in, "/desk")})
    assert response.status_code == 400
    assert response.get_json()["error"] == "Language 'fr' is not one of ja, en."
    assert reload_user("alice").language == "ja"


@pytest.mark.parametrize("accept, expected", [
    (None, "サインイン"), ("en-US,en;q=0.9", "Sign in"), ("ja,en;q=0.5", "サインイン"),
    ("fr, en;q=0.4", "Sign in"), ("de", "サインイン"),
])
def test_login_page_follows_accept_language(client, accept, expected):
    headers = {"Accept-Language": accept} if accept else {}
    html = client.get("/login", headers=headers).get_data(as_text=True)
    assert f"<h1>{expected}</h1>" in html


def test_language_chosen_on_login_page_sticks_before_sign_in(client):
    token = page_csrf_token(client)
    client.post("/account/language", data={"language": "en", "csrf_token": token})
    html = client.get("/login", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "<h1>Sign in</h1>" in html


def test_presence_by_json(signed_in, reload_user):
    token = page_csrf_token(signed_in, "/desk")
    response = signed_in.post("/account/presence", json={"presence": "break", "reason": "研修"},
                              headers={"X-CSRF-Token": token})
    assert response.status_code == 200
    body = response.get_json()
    user = reload_user("alice")
    assert body == {"presence": "break", "reason": "研修",
                    "presence_changed_at": user.presence_changed_at.isoformat()}
    assert (user.presence, user.presence_reason) == ("break", "研修")


def test_presence_by_form_shows_in_header(signed_in, reload_user):
    token = page_csrf_token(signed_in, "/desk")
    response = signed_in.post("/account/presence", data={
        "presence": "break:休憩", "next": "/desk", "csrf_token": token})
    assert response.headers["Location"] == "/desk"
    assert reload_user("alice").presence == "break"
    html = signed_in.get("/desk").get_data(as_text=True)
    assert '<option value="break:休憩" selected>離席中 (休憩)</option>' in html


def test_unknown_presence_is_refused(signed_in, reload_user):
    token = page_csrf_token(signed_in, "/desk")
    response = signed_in.post("/account/presence", json={"presence": "lunch"},
                              headers={"X-CSRF-Token": token})
    assert response.status_code == 400
    assert "Status 'lunch'" in response.get_json()["error"]
    assert reload_user("alice").presence == "offline"


def test_presence_needs_sign_in(client):
    token = page_csrf_token(client)
    response = client.post("/account/presence", json={"presence": "available"},
                           headers={"X-CSRF-Token": token})
    assert response.status_code == 401
