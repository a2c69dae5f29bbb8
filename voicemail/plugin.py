"""The voicemail feature: recordings (voicemail and recorded calls), their audio and access."""

from core.features import Feature
from voicemail import events  # noqa: F401 -- its event kinds are known to every process


def _commands():
    from voicemail.cli import recordings
    return [recordings]


feature = Feature(name="voicemail", models=("voicemail.models",), web="voicemail.web.recordings",
                  commands=_commands)
