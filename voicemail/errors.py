"""The voicemail package's exceptions; every error it raises derives from VoicemailError."""

from ivr.errors import IvrError


class VoicemailError(IvrError):
    """A recording or mailbox request cannot be carried out; the message says why."""
