"""Machine access to the web app: `Authorization: Bearer $API_TOKEN`, compared in constant time."""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from flask import Blueprint, request

from core.errors import AppError
from core.web import runtime
from core.web.errors import error_answer, translate


def bearer_ok() -> bool:
    """True when the request carries the API token (never when no token is configured)."""
    expected = runtime().settings.api_token.encode()
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), expected)


def require_bearer(bp: Blueprint, public: Iterable[str] = ()) -> Blueprint:
    """Every route of `bp` needs the API token (401 JSON otherwise), except the `public`
    endpoints; application errors are answered as the API answers them, naming the field."""

    @bp.before_request
    def authenticate():
        if request.endpoint in public or bearer_ok():
            return None
        response = error_answer("A valid 'Authorization: Bearer <API_TOKEN>' header is "
                                "required.", 401, json=True, field="Authorization")
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    @bp.errorhandler(AppError)
    def app_error(exc: AppError):
        return translate(exc, json=True, with_field=True)

    return bp
