"""Web layer helpers shared by the blueprints."""

from __future__ import annotations

from flask import current_app

from core.runtime import Runtime


def runtime() -> Runtime:
    """The Runtime of the app serving this request."""
    return current_app.extensions["ivr"]
