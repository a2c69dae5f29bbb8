"""The desk package's exceptions: every error it raises derives from DeskError."""

from core.errors import AppError
from core.problems import ConfigFileError


class DeskError(AppError):
    """Base of the desk package's errors; messages are sentences naming the offending value."""


class InvalidChoice(DeskError):
    """A folder, channel or similar choice is not one the desk offers."""


class DeskFileError(ConfigFileError, DeskError):
    """A desk file beside the flows (assignment rules, reply templates) is not valid.

    Holds every problem found, each `file:line:col: message`, like FlowError.
    """
