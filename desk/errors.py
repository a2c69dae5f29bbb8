"""The desk package's exceptions: every error it raises derives from DeskError."""

from ivr.errors import IvrError
from ivr.flows.errors import Problem


class DeskError(IvrError):
    """Base of the desk package's errors; messages are sentences naming the offending value.

    It derives from IvrError so the `ivr` CLI shows it as one line with exit status 1.
    """


class InvalidValue(DeskError):
    """A field was given a value outside what the account model allows."""


class DuplicateUser(DeskError):
    """A username is already taken (usernames compare case-insensitively)."""


class UnknownUser(DeskError):
    """No account exists under the given username."""


class ConfigFileError(DeskError):
    """A desk file beside the flows (assignment rules, reply templates) is not valid.

    Holds every problem found, each `file:line:col: message`, like FlowError.
    """

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
