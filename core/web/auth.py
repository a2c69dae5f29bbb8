"""Machine access to the web app: `Authorization: Bearer $API_TOKEN`, compared in constant time."""

from __future__ import annotations

import hmac

from flask import request

from core.web import runtime


def bearer_ok() -> bool:
    """True when the request carries the API token (never when no token is configured)."""
    expected = runtime().settings.api_token.encode()
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), expected)
