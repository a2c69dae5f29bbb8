"""Japanese and English texts for the desk pages, and `t(key)` to pick one in templates."""

from __future__ import annotations

from dataclasses import dataclass

from flask import has_request_context, request, session

from core.accounts import LANGUAGES
from core.agent_states import BREAK_REASONS
from core.web.security import current_user

DEFAULT_LANGUAGE = "ja"
LANGUAGE_KEY = "lang"  # session key: the language chosen on the login page, before sign-in

MESSAGES: dict[str, dict[str, str]] = {
    "ja": {
        "app.title": "コンタクトセンター",
        "login.title": "サインイン",
        "login.username": "ユーザー名",
        "login.password": "パスワード",
        "login.submit": "サインイン",
        "login.failed": ("ユーザー名またはパスワードが正しくないか、"
                         "アカウントが一時的にロックされています。"),
        "logout": "サインアウト",
        "language": "言語",
        "language.ja": "日本語",
        "language.en": "English",
        "presence": "状態",
        "presence.offline": "オフライン",
        "presence.available": "受付可",
        "presence.reserved": "着信中",
        "presence.on_call": "通話中",
        "presence.wrap_up": "後処理",
        "presence.break": "離席中",
        "reason.休憩": "休憩",
        "reason.研修": "研修",
        "reason.会議": "会議",
        "reason.その他": "その他",
        "reason.missed": "不在着信",
        "role.agent": "エージェント",
        "role.supervisor": "スーパーバイザー",
        "role.admin": "管理者",
        "change": "変更",
        "desk.title": "エージェントデスク",
    },
    "en": {
        "app.title": "Contact center",
        "login.title": "Sign in",
        "login.username": "Username",
        "login.password": "Password",
        "login.submit": "Sign in",
        "login.failed": "Wrong username or password, or the account is temporarily locked.",
        "logout": "Sign out",
        "language": "Language",
        "language.ja": "日本語",
        "language.en": "English",
        "presence": "Status",
        "presence.offline": "Offline",
        "presence.available": "Available",
        "presence.reserved": "Ringing",
        "presence.on_call": "On a call",
        "presence.wrap_up": "Wrap-up",
        "presence.break": "Break",
        "reason.休憩": "rest",
        "reason.研修": "training",
        "reason.会議": "meeting",
        "reason.その他": "other",
        "reason.missed": "missed a call",
        "role.agent": "Agent",
        "role.supervisor": "Supervisor",
        "role.admin": "Admin",
        "change": "Change",
        "desk.title": "Agent desk",
    },
}


def add_messages(catalog: dict[str, dict[str, str]]) -> None:
    """Merge a feature's own texts (one dict per language); a key given two texts is an error."""
    if set(catalog) != set(MESSAGES):
        raise ValueError(f"A catalog must give every language {sorted(MESSAGES)}, "
                         f"not {sorted(catalog)}.")
    for language, texts in catalog.items():
        clash = {k for k, v in texts.items() if MESSAGES[language].get(k, v) != v}
        if clash:
            raise ValueError(f"Message keys defined twice: {', '.join(sorted(clash))}.")
        MESSAGES[language].update(texts)


def translate(language: str, key: str, **params: object) -> str:
    """The text for `key` in `language`; an unknown key raises KeyError so tests catch typos."""
    text = MESSAGES[language][key]
    return text.format(**params) if params else text


def current_language() -> str:
    """The signed-in user's language, else the one chosen before sign-in, else Accept-Language."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    user = current_user()
    if user is not None:
        return user.language
    chosen = session.get(LANGUAGE_KEY)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def t(key: str, **params: object) -> str:
    """Template global: the text for `key` in the current language."""
    return translate(current_language(), key, **params)


def state_text(presence: str, reason: str | None = None) -> str:
    """An agent's state in the page's language: 離席 (休憩), Break (training), 受付可..."""
    text = t("presence." + presence)
    if presence == "break" and reason:
        key = "reason." + reason
        shown = translate(current_language(), key) if key in MESSAGES[current_language()] \
            else reason
        text = f"{text} ({shown})"
    return text


@dataclass(frozen=True)
class Choice:
    text: str
    selected: bool


def state_choices(presence: str, reason: str | None) -> list[tuple[str, Choice]]:
    """What an agent may choose by hand: available, a break with a reason, offline."""
    options = [("available", None), *(("break", r) for r in BREAK_REASONS), ("offline", None)]
    if presence == "break" and reason not in BREAK_REASONS:
        options.insert(-1, ("break", reason))       # a reason set elsewhere (API, "missed")
    return [(status if r is None else f"{status}:{r}",
             Choice(state_text(status, r), presence == status and (r is None or r == reason)))
            for status, r in options]
