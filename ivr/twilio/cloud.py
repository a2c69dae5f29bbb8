"""A stand-in for Twilio's REST API and the phones it rings, for tests and simulations.

It serves Twilio's paths at a local TWILIO_API_BASE_URL, answers as Twilio documents (201 with
the call resource, 401 for bad credentials, 404 for unknown calls, 400/21220 to redirect a call
that is over), records every request, and drives the legs the requests ask for: an outbound
call rings the device registered for its `To` and, if that device answers, fetches the call's
`Url` and follows its TwiML; a redirect takes a queued caller out of `<Enqueue>`; conference
rooms hold the legs that `<Dial><Conference>` into them. It never connects anyone on its own:
a caller leaves a queue only when our server redirects them.

Time runs `scale` real seconds per simulated second, so a 20-second ring takes 0.2 s at 0.01.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from ivr.twilio.cloud_parts import FINAL, Device, Leg, Room, error
from ivr.twilio.cloud_recordings import Recordings
from ivr.twilio.cloud_rooms import Conferences
from ivr.twilio.simulator import Twilio

__all__ = ["FINAL", "Device", "FakeTwilioCloud", "Leg", "Room"]


class FakeTwilioCloud(Conferences, Recordings):
    """The REST API at `base_url` and the phones it rings, posting webhooks through `webhooks`."""

    def __init__(self, account_sid: str, auth_token: str, scale: float = 0.01):
        self.webhooks: Twilio | None = None
        self.account, self.token = account_sid, auth_token
        self.scale = scale
        self.devices: dict[str, Device] = {}
        self.legs: dict[str, Leg] = {}
        self.rooms: dict[str, Room] = {}
        self.queues: dict[str, list[str]] = {}           # queue name -> call sids, in order
        self.requests: list[tuple[str, str, dict]] = []   # (method, path, form)
        self.errors: list[str] = []
        self.dialed: list[tuple[str, str | None]] = []   # (number, callerId) of <Dial><Number>
        self.api_keys: dict[str, str] = {}                 # SK... -> secret (REST auth)
        self.applications: dict[str, str] = {}             # AP... -> its Voice URL
        self.rings: list[tuple[str, str]] = []             # (client identity, leg) rung manually
        self.recording_audio: bytes | None = None          # what its recordings sound like
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._serving = threading.Thread(target=self._server.serve_forever,
                                         kwargs={"poll_interval": 0.05}, daemon=True)
        self._serving.start()
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"

    # ---- the test's controls -----------------------------------------------------------------

    def attach(self, webhooks: Twilio) -> Twilio:
        """Post this cloud's webhooks through `webhooks`, whose calls this cloud then carries."""
        self.webhooks, webhooks.cloud = webhooks, self
        return webhooks

    def device(self, to: str, answer: str = "answer", after: float = 1.0,
               talk: float = 30.0) -> None:
        self.devices[to] = Device(answer, after, talk)

    def application(self, sid: str, voice_url: str) -> None:
        """A TwiML App: calls placed from browsers with its tokens go to `voice_url`."""
        self.applications[sid] = voice_url

    def pick_up(self, sid: str, answer: bool = True) -> None:
        """A manual device (a browser) accepts or rejects the ringing leg `sid`."""
        leg = self.leg(sid)
        leg.picked_up = answer
        leg.decided.set()

    def hang_up_leg(self, sid: str) -> None:
        """The far end (a browser, a phone) hangs up leg `sid`."""
        leg = self.leg(sid)
        leg.hangup = True
        leg.changed.set()

    def client_call(self, identity: str, application: str, params: dict) -> Leg:
        """A browser phone calls out through a TwiML App: Twilio asks the app's Voice URL and
        follows the TwiML (the leg runs on a thread of its own; returns at once)."""
        leg = Leg("CA" + secrets.token_hex(16), params.get("To", ""), f"client:{identity}",
                  "inbound")
        with self._lock:
            self.legs[leg.sid] = leg
        form = {"CallSid": leg.sid, "From": leg.from_, "Caller": leg.from_, "To": leg.to,
                "Direction": "inbound", "CallStatus": "ringing", "ApplicationSid": application,
                **params}
        thread = threading.Thread(target=self._client_leg, args=(leg, application, form),
                                  daemon=True)
        self._threads.append(thread)
        thread.start()
        return leg

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds * self.scale)

    def leg(self, sid: str) -> Leg:
        with self._lock:
            return self.legs.setdefault(sid, Leg(sid, "", "", "inbound"))

    def room(self, name: str) -> Room:
        with self._lock:
            return self.rooms.setdefault(name, Room(name))

    def in_queue(self, name: str, sid: str, inside: bool) -> int:
        """Join or leave a named queue; the caller's position (1 = next)."""
        with self._lock:
            members = self.queues.setdefault(name, [])
            if inside and sid not in members:
                members.append(sid)
            elif not inside and sid in members:
                members.remove(sid)
            return members.index(sid) + 1 if sid in members else 0

    def calls_to(self, to: str) -> list[dict]:
        return [form for method, path, form in self.requests
                if path.endswith("/Calls.json") and form.get("To") == to]

    def wait_idle(self, timeout: float = 20.0) -> None:
        """Until every leg the cloud started has ended."""
        deadline = time.monotonic() + timeout
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        """Stop serving, and end every leg and room still up (their threads finish)."""
        with self._lock:
            legs, rooms = list(self.legs.values()), list(self.rooms.values())
        for leg in legs:
            leg.hangup = True
            leg.decided.set()
            leg.changed.set()
        for room in rooms:
            room.ended.set()
        if self._serving.is_alive():   # (never hang a test run on a stuck serve loop)
            stopper = threading.Thread(target=self._server.shutdown, daemon=True)
            stopper.start()
            stopper.join(2)
        self._server.server_close()

    # ---- the REST API --------------------------------------------------------------------

    def handle(self, method: str, path: str, auth: str | None, form: dict) -> tuple[int, dict]:
        self.requests.append((method, path, form))
        prefix = f"/2010-04-01/Accounts/{self.account}"
        if not self._authorized(auth):
            return 401, error(20003, "Authenticate", 401)
        if not path.startswith(prefix + "/"):
            return 404, error(20404, f"The requested resource {path} was not found", 404)
        rest = path[len(prefix):]
        if method == "GET" and rest.startswith("/Recordings/"):
            return self._audio()
        if rest == "/Calls.json" and method == "POST":
            return self._create(form)
        if rest.startswith("/Calls/") and rest.endswith("/Recordings.json") and method == "POST":
            return self._record(rest[len("/Calls/"):-len("/Recordings.json")], form)
        parts = rest.removesuffix(".json").split("/")
        if len(parts) == 5 and parts[1] == "Calls" and parts[3] == "Recordings":
            return self._update_recording(parts[2], parts[4], form)
        if len(parts) == 5 and parts[1] == "Conferences" and parts[3] == "Participants":
            return self._update_participant(parts[2], parts[4], form)
        if len(parts) == 4 and parts[1] == "Conferences" and parts[3] == "Participants" \
                and method == "POST":
            return self._add_participant(parts[2], form)
        if rest.startswith("/Calls/") and rest.endswith(".json") and method == "POST":
            return self._update(rest[len("/Calls/"):-len(".json")], form)
        return 404, error(20404, f"The requested resource {path} was not found", 404)

    def _authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return (user, password) == (self.account, self.token) or (
            user in self.api_keys and self.api_keys[user] == password)

    def _create(self, form: dict) -> tuple[int, dict]:
        for name, code in (("To", 21201), ("From", 21213), ("Url", 21205)):
            if not form.get(name):
                return 400, error(code, f"Required parameter {name} missing.", 400)
        leg = Leg("CA" + secrets.token_hex(16), form["To"], form["From"], "outbound-api")
        with self._lock:
            self.legs[leg.sid] = leg
        thread = threading.Thread(target=self._ring, args=(leg, form), daemon=True)
        self._threads.append(thread)
        thread.start()
        return 201, leg.resource(self.account)

    def _update(self, sid: str, form: dict) -> tuple[int, dict]:
        with self._lock:
            leg = self.legs.get(sid)
        if leg is None:
            return 404, error(20404, f"The requested resource Call {sid} was not found", 404)
        if leg.status in FINAL:
            return 400, error(21220, "Call is not in-progress. Cannot redirect.", 400)
        if form.get("Status") in ("canceled", "completed"):
            leg.hangup = True
        elif form.get("Url"):
            leg.redirect = form["Url"]
        leg.changed.set()
        return 200, leg.resource(self.account)

    # ---- an outbound leg: the agent's phone ----------------------------------------------

    def _ring(self, leg: Leg, form: dict) -> None:
        try:
            self._ring_leg(leg, form)
        except Exception as exc:  # noqa: BLE001 -- a test asserts on errors
            self.errors.append(f"{leg.sid}: {exc!r}")

    def _ring_leg(self, leg: Leg, form: dict) -> None:
        device = self.devices.get(leg.to)
        timeout = float(form.get("Timeout", "60"))
        callback = form.get("StatusCallback")
        base = {"CallSid": leg.sid, "From": leg.from_, "To": leg.to, "Direction": "outbound-api"}
        leg.status = "ringing"
        if device is None or device.answer == "reject":
            return self._end(leg, callback, base, "failed" if device is None else "busy")
        if device.answer == "manual":
            picked = self._manual(leg, timeout)
            if picked != "answer":
                return self._end(leg, callback, base, picked)
        else:
            ring = timeout if device.answer == "no-answer" else min(device.after, timeout)
            if device.answer == "busy":
                ring = 0.5
            if leg.changed.wait(ring * self.scale) and leg.hangup:
                return self._end(leg, callback, base, "canceled")
            if device.answer != "answer" or device.after > timeout:
                return self._end(leg, callback, base, "busy" if device.answer == "busy"
                                 else "no-answer")
        leg.status, started = "in-progress", time.monotonic()
        if "answered" in form.get("StatusCallbackEvent", "answered") and callback:
            self.webhooks.post(callback, {**base, "CallStatus": "in-progress"})
        if "_room" in form:          # a participant added to a conference joins it at once
            device = self.devices.get(leg.to)
            talk = device.talk if not leg.to.startswith("client:") else None
            self.attend(leg, form["_room"], talk)
        else:
            status, body = self.webhooks.post(form["Url"], {**base, "CallStatus": "in-progress"})
            if status == 200:
                self._follow(leg, ET.fromstring(body))
        leg.status = "completed"
        self.recordings_done(leg, self.recording_url)
        duration = round((time.monotonic() - started) / self.scale)
        self._end(leg, callback, base, "completed", duration)

    def _manual(self, leg: Leg, timeout: float) -> str:
        """A browser rings: it answers, rejects (busy), or the ring times out or is canceled.
        A browser acts in real time: its ring lasts `timeout` real seconds, unscaled."""
        self.rings.append((leg.to.removeprefix("client:"), leg.sid))
        deadline = time.monotonic() + timeout
        while not leg.decided.is_set() and not leg.hangup and time.monotonic() < deadline:
            leg.decided.wait(0.01)
        if leg.hangup:
            return "canceled"
        if not leg.decided.is_set():
            return "no-answer"
        return "answer" if leg.picked_up else "busy"

    def _client_leg(self, leg: Leg, application: str, form: dict) -> None:
        try:
            url = self.applications[application]
            leg.status, started = "in-progress", time.monotonic()
            status, body = self.webhooks.post(url, form)
            if status == 200:
                self._follow(leg, ET.fromstring(body))
            leg.status = "completed"
            leg.duration = round((time.monotonic() - started) / self.scale)
        except Exception as exc:  # noqa: BLE001 -- a test asserts on errors
            self.errors.append(f"{leg.sid}: {exc!r}")

    def _follow(self, leg: Leg, document: ET.Element, depth: int = 0) -> None:
        """The agent's side of the TwiML: speech, a conference, dialing a number, a hang-up."""
        for verb in document:
            if verb.tag == "Hangup" or leg.hangup or depth > 5:
                return
            if verb.tag == "Say":
                leg.heard.append(verb.text or "")
            if verb.tag == "Dial":
                for noun in verb:
                    if noun.tag == "Conference":
                        device = self.devices.get(leg.to)
                        customer = device is not None and not leg.to.startswith("client:") \
                            and leg.direction == "outbound-api"
                        self.attend(leg, noun, device.talk if customer else None)
                    elif noun.tag == "Number":
                        after = self._dial_number(leg, verb, noun.text or "")
                        if after is not None:
                            return self._follow(leg, after, depth + 1)

    def _dial_number(self, leg: Leg, dial: ET.Element, number: str) -> ET.Element | None:
        """<Dial><Number>: the far end's device answers (and talks) or not; the action's
        TwiML comes next."""
        device = self.devices.get(number)
        self.dialed.append((number, dial.get("callerId")))
        timeout = float(dial.get("timeout", "30"))
        if device is not None and device.answer == "answer" and device.after <= timeout:
            self.sleep(device.after + device.talk)
            status, seconds = "completed", device.talk
        else:
            self.sleep(min(timeout, 1))
            status = "busy" if device is not None and device.answer == "busy" else "no-answer"
            seconds = 0
        if not dial.get("action"):
            return None
        code, body = self.webhooks.post(dial.get("action"), {
            "CallSid": leg.sid, "From": leg.from_, "To": leg.to, "CallStatus": "in-progress",
            "DialCallStatus": status, "DialCallDuration": str(int(seconds))})
        return ET.fromstring(body) if code == 200 else None

    def _end(self, leg: Leg, callback: str | None, base: dict, status: str,
             duration: int = 0) -> None:
        leg.status = status
        if callback:
            self.webhooks.post(callback, {**base, "CallStatus": status,
                                          "CallDuration": str(duration)})


def _handler(cloud: FakeTwilioCloud):
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form: dict[str, str] = {}
            for name, value in parse_qsl(self.rfile.read(length).decode() if length else ""):
                form[name] = f"{form[name]} {value}" if name in form else value  # events repeat
            status, body = cloud.handle(self.command, urlsplit(self.path).path,
                                        self.headers.get("Authorization"), form)
            audio = isinstance(body, bytes)
            data = body if audio else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "audio/x-wav" if audio else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_POST = do_GET = _serve

        def log_message(self, *args) -> None:
            return None

    return Handler
