"""Play Twilio's part in a call: signed webhooks in, TwiML followed verb by verb, as Twilio would.

Used by `ivr flows simulate`, flow tests, the load benchmark and the test suite. The transport
is pluggable: an in-process Flask test client or real HTTP to a running server.
"""

from __future__ import annotations

import secrets
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from twilio.request_validator import RequestValidator

# (url, params, headers) -> (status, body text)
Transport = Callable[[str, dict, dict], tuple[int, str]]
MAX_REQUESTS = 200  # a call that needs more webhooks than this is stuck in a loop


@dataclass
class Script:
    """What the simulated caller and the far ends do."""

    inputs: list[str] = field(default_factory=list)  # per Gather: digits, "speech:...", "" = silence
    dial: str = "no-answer"            # how a <Dial> ends: completed, no-answer, busy, failed
    talk_seconds: int = 60             # conversation length when a <Dial> is answered
    queue_step_seconds: int = 30       # simulated time between wait-URL requests
    queue_patience: int | None = None  # seconds in a queue before the caller hangs up
    queue_key: str | None = None       # pressed when the wait music listens for a key
    message_seconds: int = 8           # length of the voicemail left at a <Record>
    recording_url: str | None = None   # RecordingUrl reported for recordings (served elsewhere)
    hang_up_when_inputs_run_out: bool = True


@dataclass
class Heard:
    kind: str      # say, play, gather, dial, queue, record, hangup, ...
    detail: str

    def __str__(self) -> str:
        return f"{self.kind.upper():8} {self.detail}"


@dataclass
class CallResult:
    call_sid: str
    heard: list[Heard] = field(default_factory=list)
    requests: list[tuple[str, int]] = field(default_factory=list)  # (path, status)
    twiml: list[str] = field(default_factory=list)
    recordings: list[dict] = field(default_factory=list)            # callbacks we posted
    ended_by: str = ""

    def said(self) -> list[str]:
        return [h.detail.split("] ", 1)[-1] for h in self.heard if h.kind == "say"]

    def text(self) -> str:
        return "\n".join(str(h) for h in self.heard)


def signed_headers(auth_token: str, url: str, params: dict) -> dict:
    return {"X-Twilio-Signature": RequestValidator(auth_token).compute_signature(url, params)}


def flask_transport(client) -> Transport:
    """Requests through a Flask test client (in process)."""

    def send(url: str, params: dict, headers: dict) -> tuple[int, str]:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = client.post(path, data=params, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    return send


def http_transport(session=None, timeout: float = 10.0) -> Transport:
    """Requests over real HTTP (a running server)."""
    http = session or requests.Session()

    def send(url: str, params: dict, headers: dict) -> tuple[int, str]:
        response = http.post(url, data=params, headers=headers, timeout=timeout)
        return response.status_code, response.text

    return send


class Twilio:
    """A fake Twilio account posting signed webhooks to our server."""

    def __init__(self, base_url: str, account_sid: str, auth_token: str, transport: Transport):
        self.cloud = None   # a FakeTwilioCloud, when the REST API and agents' phones are played
        self.base = base_url.rstrip("/")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.transport = transport

    def post(self, url: str, params: dict, result: CallResult | None = None) -> tuple[int, str]:
        url = url if url.startswith("http") else self.base + url
        params = {"AccountSid": self.account_sid, **params}
        status, body = self.transport(url, params, signed_headers(self.auth_token, url, params))
        if result is not None:
            result.requests.append((urlsplit(url).path, status))
        return status, body

    def call(self, from_: str, to: str, script: Script | None = None,
             call_sid: str | None = None) -> CallResult:
        """Place one call and follow it to the end, then send the final status callback."""
        return _Call(self, from_, to, script or Script(), call_sid).run()


class _Call:
    def __init__(self, twilio: Twilio, from_: str, to: str, script: Script, sid: str | None):
        self.tw, self.script = twilio, script
        self.inputs = list(script.inputs)
        self.base = {"CallSid": sid or "CA" + secrets.token_hex(16), "From": from_, "To": to,
                     "Direction": "inbound", "CallStatus": "in-progress"}
        self.result = CallResult(self.base["CallSid"])
        self.elapsed = 0
        self.leg = twilio.cloud.leg(self.base["CallSid"]) if twilio.cloud else None
        if self.leg is not None:
            self.leg.to, self.leg.from_, self.leg.status = to, from_, "in-progress"

    def run(self) -> CallResult:
        document = self._fetch("/twilio/voice", {**self.base, "CallStatus": "ringing"})
        while document is not None and len(self.result.requests) < MAX_REQUESTS:
            document = self._execute(document)
        if document is not None:
            self.result.ended_by = "too many requests"
        if self.leg is not None:
            self.leg.status = "completed"
            self.result.recordings += self.tw.cloud.recordings_done(self.leg, self._recording_url)
        self.tw.post("/twilio/status", {**self.base, "CallStatus": "completed",
                                        "CallDuration": str(self.elapsed)}, self.result)
        return self.result

    def _fetch(self, url: str, params: dict) -> ET.Element | None:
        status, body = self.tw.post(url, params, self.result)
        if status != 200:
            self.result.heard.append(Heard("error", f"HTTP {status} from {urlsplit(url).path}"))
            self.result.ended_by = f"http {status}"
            return None
        self.result.twiml.append(body)
        return ET.fromstring(body)

    def _execute(self, document: ET.Element) -> ET.Element | None:
        """Run verbs in order; return the next document, or None when the call is over."""
        for verb in document:
            handler = getattr(self, "_" + verb.tag.lower(), None)
            if handler is None:
                self.result.heard.append(Heard("ignored", verb.tag))
                continue
            outcome = handler(verb)
            if outcome is not _CONTINUE:
                return outcome
        self.result.ended_by = self.result.ended_by or "end of TwiML"
        return None

    # ---- verbs -------------------------------------------------------------------------------

    def _say(self, verb):
        self.result.heard.append(Heard("say", f"[{verb.get('language', '')} "
                                              f"{verb.get('voice', '')}] {verb.text or ''}"))
        self.elapsed += 3
        return _CONTINUE

    def _play(self, verb):
        self.result.heard.append(Heard("play", verb.text or ""))
        return _CONTINUE

    def _pause(self, verb):
        self.elapsed += int(verb.get("length", "1"))
        return _CONTINUE

    def _gather(self, verb):
        for child in verb:
            getattr(self, "_" + child.tag.lower())(child)
        if not self.inputs:
            if self.script.hang_up_when_inputs_run_out:
                self.result.heard.append(Heard("hangup", "caller hangs up while asked for input"))
                self.result.ended_by = "caller hung up"
                return None
            answer = ""
        else:
            answer = self.inputs.pop(0)
        params = dict(self.base)
        if answer.startswith("speech:"):
            params.update(SpeechResult=answer[7:], Confidence="0.92")
            shown = f"says {answer[7:]!r}"
        else:
            digits = answer
            finish = verb.get("finishOnKey", "#")
            if finish and finish in digits:
                digits = digits[:digits.index(finish)]
            if verb.get("numDigits"):
                digits = digits[:int(verb.get("numDigits"))]
            params["Digits"] = digits
            shown = f"presses {digits!r}" if digits else "stays silent"
        self.elapsed += int(verb.get("timeout", "5")) if not answer else 2
        self.result.heard.append(Heard("gather", f"caller {shown}"))
        return self._fetch(verb.get("action"), params)

    def _dial(self, verb):
        room = verb.find("Conference")
        if room is not None and self.leg is not None:
            return self._conference(verb, room)
        targets = [f"{n.tag.lower()}:{n.text}" if n.tag != "Sip" else n.text for n in verb]
        outcome = self.script.dial
        self.result.heard.append(Heard("dial", f"{', '.join(targets)} -> {outcome}"))
        params = {**self.base, "DialCallStatus": outcome,
                  "DialCallDuration": str(self.script.talk_seconds if outcome == "completed"
                                          else 0)}
        if outcome == "completed":
            self.elapsed += self.script.talk_seconds
            if verb.get("record", "").startswith("record-from"):
                self._recording(verb.get("recordingStatusCallback"),
                                self.script.talk_seconds, channels=2)
        return self._fetch(verb.get("action"), params)

    def _conference(self, dial, room):
        """Meet whoever the server put in the same room; the caller leaves after talking."""
        self.result.heard.append(Heard("dial", f"conference {room.text!r}"))
        seconds = round(self.tw.cloud.attend(self.leg, room, talk=self.script.talk_seconds))
        self.elapsed += seconds
        self.result.heard.append(Heard("dial", f"leaves conference {room.text!r} after "
                                               f"{seconds}s"))
        if not dial.get("action"):
            return _CONTINUE
        return self._fetch(dial.get("action"), {**self.base, "DialCallStatus": "completed",
                                                "DialCallDuration": str(seconds)})

    def _enqueue(self, verb):
        """Wait in the queue, hearing the wait URL, until the server redirects the caller out,
        the wait URL says <Leave>, or the caller gives up; Twilio never takes anyone out."""
        name, waited, result, cloud = verb.text, 0, "leave", self.tw.cloud
        self.result.heard.append(Heard("queue", f"enters queue {name!r}"))
        patience = self.script.queue_patience
        for _ in range(1000):
            if self.leg is not None and self.leg.redirect:
                result = "redirected"
                break
            if patience is not None and waited >= patience:
                result = "hangup"
                break
            position = cloud.in_queue(name, self.base["CallSid"], True) if cloud else 1
            wait = self._fetch(verb.get("waitUrl"), {**self.base, "QueuePosition": str(position),
                                                     "QueueTime": str(waited),
                                                     "CurrentQueueSize": str(position)})
            if wait is None:
                result = "error"
                break
            if any(child.tag == "Leave" for child in wait):
                break
            listening = wait.find("Gather")
            if listening is not None and self.script.queue_key:
                for child in listening:
                    if child.tag == "Say":
                        self._say(child)
                self.result.heard.append(Heard("gather", f"caller presses "
                                                         f"{self.script.queue_key!r} while waiting"))
                after = self._fetch(listening.get("action"),
                                    {**self.base, "Digits": self.script.queue_key})
                if after is not None and any(child.tag == "Leave" for child in after):
                    break
            if waited == 0:  # later loops repeat the same announcement and music
                for child in wait:
                    if child.tag in ("Say", "Play"):
                        getattr(self, "_" + child.tag.lower())(child)
            waited += self._hold(self.script.queue_step_seconds)
        if cloud:
            cloud.in_queue(name, self.base["CallSid"], False)
        self.elapsed += waited
        self.result.heard.append(Heard("queue", f"leaves queue {name!r} after {waited}s "
                                                f"({len(self.result.requests)} requests so far): "
                                                f"{result}"))
        answer = self._fetch(verb.get("action"), {**self.base, "QueueResult": result,
                                                  "QueueTime": str(waited)})
        if result == "redirected":  # the action's reply is not followed: the redirect is
            url, self.leg.redirect = self.leg.redirect, None
            return self._fetch(url, dict(self.base))
        if result == "hangup":
            self.result.heard.append(Heard("hangup", "caller hangs up while waiting"))
            self.result.ended_by = "caller hung up"
            return None
        return answer

    def _hold(self, seconds: int) -> int:
        """Listen to the wait music for `seconds` (simulated), or until a redirect comes."""
        if self.leg is None:
            return seconds
        started = time.monotonic()
        self.leg.changed.wait(seconds * self.tw.cloud.scale)
        self.leg.changed.clear()
        return max(1, min(seconds, round((time.monotonic() - started) / self.tw.cloud.scale)))

    def _record(self, verb):
        seconds = min(self.script.message_seconds, int(verb.get("maxLength", "3600")))
        self.result.heard.append(Heard("record", f"caller leaves a {seconds}s message"))
        self.elapsed += seconds
        if seconds > 0:
            self._recording(verb.get("recordingStatusCallback"), seconds, channels=1)
            return self._fetch(verb.get("action"), {**self.base, "RecordingDuration": str(seconds),
                                                    "Digits": verb.get("finishOnKey", "#")})
        return _CONTINUE  # nothing recorded: Twilio goes on to the next verb

    def _redirect(self, verb):
        return self._fetch(verb.text, dict(self.base))

    def _hangup(self, verb):
        self.result.heard.append(Heard("hangup", "server hangs up"))
        self.result.ended_by = "hangup"
        return None

    def _recording_url(self, sid: str) -> str:
        return self.script.recording_url or (f"https://api.twilio.com/2010-04-01/Accounts/"
                                             f"{self.tw.account_sid}/Recordings/{sid}")

    def _recording(self, callback: str | None, seconds: int, channels: int) -> None:
        sid = "RE" + secrets.token_hex(16)
        url = self._recording_url(sid)
        params = {**self.base, "RecordingSid": sid, "RecordingUrl": url,
                  "RecordingStatus": "completed", "RecordingDuration": str(seconds),
                  "RecordingChannels": str(channels), "RecordingSource": "RecordVerb"}
        self.result.recordings.append(params)
        if callback:
            self.tw.post(callback, params, self.result)


_CONTINUE = object()
