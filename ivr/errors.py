"""The ivr package's exceptions: every error this package raises derives from IvrError."""


class IvrError(Exception):
    """Base of the ivr package's errors; messages are sentences naming the offending value."""


class ConfigError(IvrError):
    """The environment does not describe a runnable configuration."""
