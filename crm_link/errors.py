"""The crm_link package's exceptions: every error it raises derives from CrmError."""

from __future__ import annotations

from core.errors import AppError


class CrmError(AppError):
    """Base of crm_link's errors; messages are sentences naming the offending value."""


class InvalidInput(CrmError):
    """A value given to the service cannot be used (bad phone, unknown status, wrong type...)."""


class NotFound(CrmError):
    """A customer, ticket, interaction or merge named by id does not exist."""

    http_status = 404


class IdentityConflict(CrmError):
    """The identity already belongs to another customer; `other_customer_id` says which."""

    http_status = 409

    def __init__(self, message: str, *, other_customer_id: int, field: str | None = None):
        super().__init__(message, field=field)
        self.other_customer_id = other_customer_id

    def details(self) -> dict:
        return {"customer_id": self.other_customer_id}


class MergeError(CrmError):
    """A merge or its undo is not possible in the records' present state."""

    http_status = 409


class MalformedEmail(CrmError):
    """A raw message cannot be read as an email we can file (no sender, unreadable headers...)."""

    http_status = 422


class MessageTooLarge(CrmError):
    """A raw message is larger than the configured limit."""
