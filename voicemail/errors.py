"""The voicemail package's exceptions; every error it raises derives from VoicemailError."""

from core.errors import AppError


class VoicemailError(AppError):
    """A recording or mailbox request cannot be carried out; the message says why."""
