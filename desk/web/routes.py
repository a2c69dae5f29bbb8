"""Mount the desk on the app: sign-in and the page layout, inbox, ticket pages, assignment."""

from __future__ import annotations

from flask import Flask

from core.runtime import Runtime
from core.web.layout import NavLink, add_nav
from desk.web import assignment, auth, home, tickets, voice


def install(app: Flask, _runtime: Runtime) -> None:
    for blueprint in (auth.bp, home.bp, tickets.bp, assignment.bp, voice.bp):
        app.register_blueprint(blueprint)
    add_nav(app, NavLink("nav.inbox", "desk.home"))
    app.add_template_global(voice.softphone_off, "softphone_off")
    app.add_template_global(voice.softphone_texts, "softphone_texts")
    app.add_template_global(voice.national_phone, "national_phone")
    app.config["LOGIN_VIEW"] = "auth.login"  # where pages send visitors who must sign in
