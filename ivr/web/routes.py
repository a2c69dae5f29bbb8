"""Mount the telephony feature on the app: flows (hot reloaded, revisions archived), the call
service speaking TwiML, and the Twilio webhooks."""

from __future__ import annotations

from flask import Flask

from core.runtime import Runtime
from ivr.calls.service import CallService
from ivr.flowstore import FlowRegistry
from ivr.plugin import acd, voice
from ivr.revisions import DbRevisionArchive
from ivr.twilio.twiml import TwimlRenderer
from ivr.web import agents, twilio, twilio_acd, twilio_voice  # noqa: F401 -- add to twilio.bp


def install(app: Flask, runtime: Runtime) -> None:
    settings = runtime.settings
    registry = FlowRegistry(settings.telephony.flows_dir,
                            reload_seconds=settings.telephony.flows_reload_seconds,
                            archive=DbRevisionArchive(runtime.db))
    registry.reload()
    registry.archive_pending()
    runtime.readiness_probes["flows"] = registry.status
    app.extensions["flows"] = registry
    app.extensions["acd"] = distributor = acd(runtime)
    app.extensions["voice"] = voice(runtime)
    app.extensions["calls"] = CallService(settings, registry,
                                          TwimlRenderer(settings.public_base_url),
                                          lambda: runtime.clock(), distributor.queues)
    app.register_blueprint(twilio.bp)
    app.register_blueprint(twilio.media)
    app.register_blueprint(agents.bp)
