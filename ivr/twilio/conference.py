"""Desk calls on Twilio's REST API: dial the customer into the agent's conference, record
their leg on two channels, hold them (the Participants API), pause the recording."""

from __future__ import annotations

import datetime as dt

from core.settings import TwilioSettings
from ivr.twilio.carrier import GONE
from ivr.twilio.rest import CarrierError, TwilioRest
from ivr.twilio.tokens import voice_token
from ivr.twilio.twiml import Urls
from ivr.voice.ports import VoiceToken


class TwilioVoiceCarrier:
    def __init__(self, rest: TwilioRest, urls: Urls, settings: TwilioSettings):
        self.rest, self.urls, self.settings = rest, urls, settings

    def token(self, identity: str, now: dt.datetime) -> VoiceToken:
        return voice_token(self.settings, identity, now)

    def dial(self, call_id: int, to: str, from_: str, timeout: int) -> str:
        return self.rest.create_call(to, from_, self.urls.outbound("answer", call_id),
                                     status_callback=self.urls.outbound("status", call_id),
                                     events=("answered", "completed"), timeout=timeout)

    def record(self, call_sid: str) -> str:
        return self.rest.record(call_sid, self.urls.recording("call"), channels="dual")

    def hold(self, conference_sid: str, call_sid: str, on: bool, music: str | None) -> None:
        values = {"Hold": "true" if on else "false"}
        if on and music:
            values |= {"HoldUrl": music, "HoldMethod": "GET"}
        self.rest.update_participant(conference_sid, call_sid, **values)

    def add_party(self, conference_sid: str, to: str, from_: str, call_id: int,
                  timeout: int, end_on_exit: bool = False) -> str:
        return self.rest.add_participant(conference_sid, to, from_,
                                         status_callback=self.urls.transfer(call_id),
                                         timeout=timeout, label="transfer",
                                         end_conference_on_exit=end_on_exit)

    def end_on_exit(self, conference_sid: str, call_sid: str, on: bool) -> None:
        self.rest.update_participant(conference_sid, call_sid,
                                     EndConferenceOnExit="true" if on else "false")

    def monitor(self, conference_sid: str, call_sid: str, **values: str) -> None:
        self.rest.update_participant(conference_sid, call_sid, **values)

    def pause_recording(self, call_sid: str, recording_sid: str, paused: bool) -> None:
        self.rest.update_recording(call_sid, recording_sid, "paused" if paused else "in-progress")

    def hang_up(self, call_sid: str, ringing: bool = False) -> None:
        try:
            self.rest.end_call(call_sid, ringing=ringing)
        except CarrierError as exc:
            if not (exc.status == 404 or exc.code in GONE):
                raise
