"""The one error translator: a package's error (or a message and status) as the HTTP answer.

JSON `{"error": sentence, ...}` for API clients and the desk's own scripts, plain text for a
browser. Each package's errors say their status (`http_status`, default 400); views that catch
an error answer with `error_answer`, and any AppError a view lets through is translated here.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify

from core.errors import AppError
from core.web.security import wants_json

TEXT = {"Content-Type": "text/plain; charset=utf-8"}


def error_answer(message: str, status: int, *, json: bool | None = None, **extra) -> Response:
    """The answer for one refusal; `json` forces the format (None: what the client wants)."""
    if wants_json() if json is None else json:
        response = jsonify(error=message, **extra)
    else:
        response = Response(message, mimetype="text/plain")
        response.headers["Content-Type"] = TEXT["Content-Type"]
    response.status_code = status
    return response


def translate(exc: AppError, *, json: bool | None = None, with_field: bool = False) -> Response:
    """An AppError as its answer; `with_field` always names the input it is about (the API)."""
    extra = exc.details()
    if with_field or exc.field is not None:
        extra = {"field": exc.field, **extra}
    return error_answer(str(exc), exc.http_status, json=json, **extra)


def install(app: Flask) -> None:
    app.register_error_handler(AppError, translate)
