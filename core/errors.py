"""The exceptions of the platform, and the one root every package's base exception derives from.

`AppError` is what the web kit's error translator and the CLI know how to show: its message is
a sentence naming the offending value, `http_status` the answer a web request gets, `field` the
input it is about (if any). Each package has one base (CoreError, IvrError, CrmError, ...).
"""

from __future__ import annotations


class AppError(Exception):
    """Root of every package's errors: shown as one sentence (CLI) or a 4xx answer (web)."""

    http_status: int = 400
    field: str | None = None

    def __init__(self, message: str = "", *, field: str | None = None):
        super().__init__(message)
        if field is not None:
            self.field = field

    def details(self) -> dict:
        """More facts for the answer's body (e.g. which customer already owns an identity)."""
        return {}


class CoreError(AppError):
    """Base of the platform's own errors."""


class ConfigError(CoreError):
    """The environment does not describe a runnable configuration."""


class AccountError(CoreError):
    """An agent account cannot be created, found or changed as asked."""


class InvalidValue(AccountError):
    """A field was given a value outside what the account model allows."""


class DuplicateUser(AccountError):
    """A username is already taken (usernames compare case-insensitively)."""

    http_status = 409


class UnknownUser(AccountError):
    """No account exists under the given username."""

    http_status = 404
