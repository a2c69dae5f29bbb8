"""The transcription package's exceptions; `permanent` tells a job whether retrying could ever help."""

from __future__ import annotations

from core.errors import AppError


class TranscriptionError(AppError):
    """Base of the package's errors; the message is a sentence an agent can read on a ticket."""

    permanent: bool = True

    def __init__(self, message: str, *, permanent: bool | None = None):
        super().__init__(message)
        if permanent is not None:
            self.permanent = permanent


class AudioError(TranscriptionError):
    """The recording itself is unusable (empty, corrupt, not audio, too long): retrying cannot fix it."""


class ModelError(TranscriptionError):
    """No usable speech model at the configured path: a deployment fix is needed, not a retry."""


class DownloadError(TranscriptionError):
    """Fetching the recording failed; transient unless a subclass or the status code says otherwise."""

    permanent = False

    def __init__(self, message: str, *, permanent: bool | None = None, status: int | None = None):
        super().__init__(message, permanent=permanent)
        self.status = status


class HostNotAllowedError(DownloadError):
    """The URL (or a redirect) points outside the recording-host allow-list; never retried."""

    permanent = True


class TooLargeError(DownloadError):
    """The recording exceeds the configured byte limit; never retried."""

    permanent = True


def is_permanent(error: BaseException) -> bool:
    """Whether a failure must not be retried; storage errors carry the same attribute."""
    return bool(getattr(error, "permanent", False))
