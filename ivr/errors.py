"""The ivr package's exceptions: every error the telephony feature raises derives from IvrError."""

from core.errors import AppError


class IvrError(AppError):
    """Base of the ivr package's errors; messages are sentences naming the offending value."""
