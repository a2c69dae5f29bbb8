"""The one place engine verbs become TwiML (twilio's VoiceResponse), with absolute callback URLs.

`TwimlRenderer` is the call service's Renderer for Twilio (see ivr.calls.ports).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from twilio.twiml.voice_response import VoiceResponse

from ivr.flows.actions import (
    DialOut,
    Gather,
    HangUp,
    JoinRoom,
    PlayAudio,
    RecordMessage,
    Speak,
    ToQueue,
    Verb,
)

# Twilio's own hold music, as used in its documentation; flows may set `hold_music`.
DEFAULT_HOLD_MUSIC = "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"
DUAL = "record-from-answer-dual"


@dataclass(frozen=True)
class Urls:
    """Absolute URLs under PUBLIC_BASE_URL, as Twilio must be told them."""

    base: str

    def step(self, turn: int, on: str, **extra) -> str:
        return self._url("/twilio/step", t=turn, on=on, **extra)

    def queue_wait(self, turn: int) -> str:
        return self._url("/twilio/queue/wait", t=turn)

    def queue_key(self, turn: int) -> str:
        return self._url("/twilio/queue/key", t=turn)

    def recording(self, kind: str, **params) -> str:
        return self._url("/twilio/recording", kind=kind, **params)

    def acd(self, kind: str, offer_id: int) -> str:
        """The distributor's webhooks for one offer: answer, agent (status), bridge."""
        return self._url(f"/twilio/acd/{kind}", offer=offer_id)

    def outbound(self, kind: str, call_id: int) -> str:
        """A desk call's webhooks: the customer's leg answered (answer) or reported (status)."""
        return self._url(f"/twilio/outbound/{kind}", call=call_id)

    def transfer(self, call_id: int) -> str:
        """Status of a party added to a desk call's room (a transfer, a consult, a third party)."""
        return self._url("/twilio/transfer/status", call=call_id)

    def conference(self, room: str) -> str:
        """The room's status callback: started, joined, left, ended."""
        return self._url("/twilio/conference", room=room)

    def fallback_done(self) -> str:
        return self._url("/twilio/fallback/done")

    def media(self, name_or_url: str) -> str:
        if name_or_url.startswith(("http://", "https://")):
            return name_or_url
        return f"{self.base}/media/flows/{quote(name_or_url)}"

    def _url(self, path: str, **params) -> str:
        return f"{self.base}{path}?{urlencode(params)}"


class TwimlRenderer:
    """Renders the call service's replies as TwiML whose callbacks point under `base_url`."""

    def __init__(self, base_url: str):
        self.urls = Urls(base_url)

    def turn(self, verbs: Sequence[Verb], answer_turn: int) -> str:
        return render(verbs, answer_turn, self.urls)

    def nothing(self) -> str:
        return str(VoiceResponse())

    def waiting(self, announcements: Sequence[Speak], hold_music: str | None,
                key: str | None, turn: int) -> str:
        return wait_music(announcements, hold_music, self.urls, key, turn)

    def leave_queue(self) -> str:
        return leave_queue()

    def apology(self, speech: Speak, voicemail: RecordMessage | None) -> str:
        return apology(speech, voicemail, self.urls)

    def goodbye(self, speech: Speak | None = None) -> str:
        return goodbye(speech)


def render(verbs: Sequence[Verb], turn: int, urls: Urls) -> str:
    """TwiML for one turn; `turn` is the number of the answer the callbacks will carry."""
    return _build(tuple(verbs), turn, urls)


@functools.lru_cache(maxsize=4096)
def _build(verbs: tuple[Verb, ...], turn: int, urls: Urls) -> str:
    """Callers at the same step hear the same verbs: build their TwiML once (verbs are frozen)."""
    response = VoiceResponse()
    for verb in verbs:
        _RENDER[type(verb)](response, verb, turn, urls)
    return str(response)


def _say(parent, verb: Speak, turn=None, urls=None) -> None:
    parent.say(verb.text, language=verb.language, **({"voice": verb.voice} if verb.voice else {}))


def _play(parent, verb: PlayAudio, turn, urls: Urls) -> None:
    parent.play(urls.media(verb.url), **({"loop": verb.loop} if verb.loop != 1 else {}))


def _gather(response, verb: Gather, turn, urls: Urls) -> None:
    options = {"input": "dtmf speech", "speech_timeout": "auto", "hints": ",".join(verb.hints)
               } if verb.speech else {"input": "dtmf"}
    if verb.num_digits:
        options["num_digits"] = verb.num_digits
    if not options.get("hints"):
        options.pop("hints", None)
    gather = response.gather(action=urls.step(turn, "gather"), method="POST",
                             action_on_empty_result=True, timeout=verb.timeout,
                             finish_on_key=verb.finish_on_key, language=verb.language, **options)
    for prompt in verb.prompts:
        _RENDER[type(prompt)](gather, prompt, turn, urls)


def _recording_options(record: bool, urls: Urls) -> dict:
    if not record:
        return {}
    return {"record": DUAL, "recording_status_callback": urls.recording("call"),
            "recording_status_callback_event": "completed",
            "recording_status_callback_method": "POST"}


def _dial(response, verb: DialOut, turn, urls: Urls) -> None:
    dial = response.dial(action=urls.step(turn, "dial"), method="POST", timeout=verb.timeout,
                         **({"caller_id": verb.caller_id} if verb.caller_id else {}),
                         **_recording_options(verb.record, urls))
    _noun(dial, f"{verb.kind}:{verb.target}" if verb.kind != "sip" else verb.target)


def _noun(dial, target: str, **options) -> None:
    """`client:alice`, `sip:bob@pbx`, or an E.164 number."""
    if target.startswith("client:"):
        dial.client(target.removeprefix("client:"), **options)
    elif target.startswith(("sip:", "sips:")):
        dial.sip(target, **options)
    else:
        dial.number(target.removeprefix("number:"), **options)


def _queue(response, verb: ToQueue, turn, urls: Urls) -> None:
    """Wait in Twilio's queue (music, announcements) until the distributor takes the caller out."""
    response.enqueue(verb.name, action=urls.step(turn, "queue"), method="POST",
                     wait_url=urls.queue_wait(turn), wait_url_method="POST")


def _join_room(response, verb: JoinRoom, turn, urls: Urls) -> None:
    """The caller meets the agent in a conference named for the offer; either leaving ends it.
    (A recorded conversation is recorded on the caller's leg through the REST API, on two
    channels, when the distributor bridges them: a conference recording would be mono.)"""
    dial = response.dial(action=urls.step(turn, "dial"), method="POST")
    dial.conference(verb.room, beep=False, start_conference_on_enter=True,
                    end_conference_on_exit=True, **_room_events(urls, verb.room))


def _record(response, verb: RecordMessage, turn, urls: Urls) -> None:
    response.record(action=urls.step(turn, "record"), method="POST", max_length=verb.max_length,
                    finish_on_key=verb.finish_key, timeout=verb.silence_timeout, play_beep=True,
                    trim="trim-silence",
                    recording_status_callback=urls.recording("voicemail", mailbox=verb.mailbox,
                                                             take=verb.take),
                    recording_status_callback_event="completed",
                    recording_status_callback_method="POST")
    # Reached only when Twilio skips the action (nothing was recorded): report an empty take.
    response.redirect(urls.step(turn, "record", empty=1), method="POST")


def _hangup(response, verb: HangUp, turn, urls) -> None:
    response.hangup()


_RENDER = {Speak: _say, PlayAudio: _play, Gather: _gather, DialOut: _dial, ToQueue: _queue,
           JoinRoom: _join_room, RecordMessage: _record, HangUp: _hangup}


def wait_music(announcements: Sequence[Speak], hold_music: str | None, urls: Urls,
               key: str | None = None, turn: int = 0) -> str:
    """TwiML for a caller waiting in a queue: their place and wait, then music (Twilio asks
    again when it ends); with a call-back key, all of it listens for that key."""
    response = VoiceResponse()
    parent = response
    if key:
        parent = response.gather(num_digits=1, action=urls.queue_key(turn), method="POST",
                                 timeout=1, input="dtmf", action_on_empty_result=False)
    for line in announcements:
        _say(parent, line)
    parent.play(urls.media(hold_music or DEFAULT_HOLD_MUSIC))
    return str(response)


def leave_queue() -> str:
    """Waited too long: <Leave> ends the <Enqueue> and Twilio calls its action (QueueResult=leave)."""
    response = VoiceResponse()
    response.leave()
    return str(response)


def apology(speech: Speak, voicemail: RecordMessage | None, urls: Urls) -> str:
    """Safe TwiML after an internal failure: apologise, then voicemail or hang up."""
    response = VoiceResponse()
    _say(response, speech)
    if voicemail is not None:
        response.record(action=urls.fallback_done(), method="POST",
                        max_length=voicemail.max_length, finish_on_key=voicemail.finish_key,
                        timeout=voicemail.silence_timeout, play_beep=True, trim="trim-silence",
                        recording_status_callback=urls.recording(
                            "voicemail", mailbox=voicemail.mailbox, take=0),
                        recording_status_callback_event="completed",
                        recording_status_callback_method="POST")
    response.hangup()
    return str(response)


def agent_room(room: str, urls: Urls | None = None, speech: Speak | None = None) -> str:
    """The agent's leg, once answered, meets the caller in the room (told `speech` first);
    hanging up ends it. The room reports its events (its id is what hold needs)."""
    response = VoiceResponse()
    if speech is not None:
        _say(response, speech)
    dial = response.dial()
    dial.conference(room, beep=False, start_conference_on_enter=True,
                    end_conference_on_exit=True, **(_room_events(urls, room) if urls else {}))
    return str(response)


def _room_events(urls: Urls, room: str) -> dict:
    """Every party of a room names its status callback: whoever joins first sets it."""
    return {"status_callback": urls.conference(room), "status_callback_method": "POST",
            "status_callback_event": "start end join leave"}


def monitor_room(room: str, muted: bool, coach: str | None) -> str:
    """A supervisor joins an agent's room: muted to listen, coaching the agent to whisper;
    they neither start nor end it."""
    response = VoiceResponse()
    dial = response.dial()
    dial.conference(room, beep=False, start_conference_on_enter=False,
                    end_conference_on_exit=False, muted=muted,
                    **({"coach": coach} if coach else {}))
    return str(response)


def customer_room(notice: Speak | None, room: str, urls: Urls) -> str:
    """A dialed customer: the recording notice first when there is one, then the agent."""
    response = VoiceResponse()
    if notice is not None:
        _say(response, notice)
    dial = response.dial()
    dial.conference(room, beep=False, start_conference_on_enter=True,
                    end_conference_on_exit=True, **_room_events(urls, room))
    return str(response)



def goodbye(speech: Speak | None) -> str:
    response = VoiceResponse()
    if speech:
        _say(response, speech)
    response.hangup()
    return str(response)
