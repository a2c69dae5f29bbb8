"""The web kit every feature's web edge uses: the app factory, sign-in sessions, CSRF,
texts in Japanese and English, event streams, health probes and the error translator."""

from __future__ import annotations

from flask import current_app

from core.runtime import Runtime


def runtime() -> Runtime:
    """The Runtime of the app serving this request."""
    return current_app.extensions["runtime"]
