"""The telephony feature: flows, calls through them, queues, and Twilio as the carrier."""

from core.features import ConfigFile, Feature
from ivr import events  # noqa: F401 -- its event kinds are known to every process
from ivr.acd import config as queues


def _commands():
    from ivr.tools.cli import flows
    from ivr.tools.cli_demo import demo_command
    return [flows, demo_command]


feature = Feature(name="ivr", models=("ivr.models",), web="ivr.web.routes", commands=_commands,
                  config_files=(ConfigFile(queues.FILE_NAME, queues.check_folder),))
