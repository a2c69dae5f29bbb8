"""The telephony feature: flows, calls through them, queues, and Twilio as the carrier."""

from core.agent_states import AgentPresenceChanged
from core.features import ConfigFile, Feature, Periodic
from ivr import events  # noqa: F401 -- its event kinds are known to every process
from ivr.acd import config as queues
from ivr.acd.events import OfferCanceled
from ivr.acd.service import AcdService
from ivr.events import CallQueued
from ivr.voice import events as _voice_events  # noqa: F401 -- voice.call is known everywhere
from ivr.voice.service import VoiceService


def _commands():
    from ivr.tools.cli import flows
    from ivr.tools.cli_demo import demo_command
    return [flows, demo_command]


def acd(rt) -> AcdService:
    """This process's distributor, ringing agents through Twilio's REST API."""

    def make() -> AcdService:
        from ivr.twilio.carrier import TwilioCarrier
        from ivr.twilio.rest import TwilioRest
        from ivr.twilio.twiml import Urls
        settings = rt.settings
        carrier = TwilioCarrier(TwilioRest(settings.twilio), Urls(settings.public_base_url))
        config = queues.QueuesFile(settings.telephony.flows_dir)
        return AcdService(rt.db, config.current, carrier, lambda: rt.clock(), rt.bus.publish)

    return rt.service(AcdService, make)


def voice(rt) -> VoiceService:
    """This process's desk calls, placed and held through Twilio's REST API."""

    def make() -> VoiceService:
        from ivr.twilio.conference import TwilioVoiceCarrier
        from ivr.twilio.rest import TwilioRest
        from ivr.twilio.twiml import DEFAULT_HOLD_MUSIC, Urls
        settings = rt.settings
        carrier = TwilioVoiceCarrier(TwilioRest(settings.twilio), Urls(settings.public_base_url),
                                     settings.twilio)
        distributor = acd(rt)
        service = VoiceService(rt.db, distributor.queues, carrier, lambda: rt.clock(),
                               rt.bus.publish, region=settings.default_region,
                               window_days=settings.crm.thread_window_days,
                               hold_music=DEFAULT_HOLD_MUSIC, kick_at=distributor.kick_at,
                               callback_result=distributor.callback_result)
        distributor.on_answer, distributor.on_recorded = service.inbound, service.inbound_recorded
        return service

    return rt.service(VoiceService, make)


def _start(rt) -> None:
    """Distribute as soon as an agent is free or a caller joins; stop legs given back."""
    rt.bus.subscribe(AgentPresenceChanged,
                     lambda e: acd(rt).kick() if e.presence == "available" else None)
    rt.bus.subscribe(CallQueued, lambda _e: acd(rt).kick())
    rt.bus.subscribe(OfferCanceled, lambda e: acd(rt).canceled(e.agent_leg))


feature = Feature(name="ivr", models=("ivr.models", "ivr.acd.models", "ivr.voice.models"),
                  web="ivr.web.routes",
                  commands=_commands, start=_start,
                  periodic=(Periodic("distribution", lambda _s: 5.0,
                                     lambda rt: acd(rt).tick()),),
                  config_files=(ConfigFile(queues.FILE_NAME, queues.check_folder),))
