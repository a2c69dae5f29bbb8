"""Twilio's REST API, as far as the contact center uses it: place, redirect and end calls,
record a call leg (and pause it), hold conference participants (a queued caller leaves the
queue by being redirected).

Every request goes to TWILIO_API_BASE_URL (default https://api.twilio.com) with Twilio's paths
(`/2010-04-01/Accounts/{AccountSid}/...`) and Basic auth (the account, or the API key when
one is set). Connections are short-lived and never read `.netrc` or proxy variables.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import requests

from core.settings import TwilioSettings
from ivr.errors import IvrError

log = logging.getLogger("ivr.twilio.rest")
TIMEOUT = (3.05, 10)   # connect, read (seconds)


class CarrierError(IvrError):
    """Twilio refused or did not answer a REST request; `status` and `code` say how."""

    http_status = 502

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


class TwilioRest:
    """One account's REST API."""

    def __init__(self, settings: TwilioSettings, session: requests.Session | None = None):
        self.account = settings.twilio_account_sid
        self.base = f"{settings.twilio_api_base_url}/2010-04-01/Accounts/{self.account}"
        self.http = session or requests.Session()
        self.http.trust_env = False            # no .netrc, no proxy variables
        self.http.auth = settings.rest_auth

    def create_call(self, to: str, from_: str, url: str, *, status_callback: str,
                    events: Iterable[str] = ("initiated", "ringing", "answered", "completed"),
                    timeout: int = 20) -> str:
        """Ring `to`; when answered Twilio fetches `url`. The new call's sid."""
        data = [("To", to), ("From", from_), ("Url", url), ("Method", "POST"),
                ("StatusCallback", status_callback), ("StatusCallbackMethod", "POST"),
                ("Timeout", str(timeout)), *(("StatusCallbackEvent", e) for e in events)]
        return self._post("/Calls.json", data)["sid"]

    def redirect_call(self, call_sid: str, url: str) -> None:
        """Make an in-progress call fetch new TwiML from `url`."""
        self._post(f"/Calls/{call_sid}.json", [("Url", url), ("Method", "POST")])

    def end_call(self, call_sid: str, ringing: bool = False) -> None:
        """Hang up a call (`canceled` while it still rings)."""
        self._post(f"/Calls/{call_sid}.json", [("Status", "canceled" if ringing else "completed")])

    def record(self, call_sid: str, status_callback: str, channels: str = "dual") -> str:
        """Start recording a call leg (dual: this leg and what it hears on two channels)."""
        return self._post(f"/Calls/{call_sid}/Recordings.json", [
            ("RecordingChannels", channels), ("RecordingStatusCallback", status_callback),
            ("RecordingStatusCallbackEvent", "completed"),
            ("RecordingStatusCallbackMethod", "POST")])["sid"]

    def add_participant(self, conference_sid: str, to: str, from_: str, *,
                        status_callback: str, timeout: int = 20, label: str | None = None,
                        end_conference_on_exit: bool = False) -> str:
        """Ring `to` into a conference (it joins as it answers); the new leg's call sid."""
        data = [("To", to), ("From", from_), ("StatusCallback", status_callback),
                ("StatusCallbackMethod", "POST"), ("Timeout", str(timeout)),
                ("StartConferenceOnEnter", "true"), ("Beep", "false"),
                ("EndConferenceOnExit", "true" if end_conference_on_exit else "false"),
                *(("StatusCallbackEvent", e) for e in ("answered", "completed"))]
        if label:
            data.append(("Label", label))
        return self._post(f"/Conferences/{conference_sid}/Participants.json", data)["call_sid"]

    def update_participant(self, conference_sid: str, call_sid: str, **values: str) -> None:
        """Change a conference participant (Hold, HoldUrl, Muted, Coaching...)."""
        self._post(f"/Conferences/{conference_sid}/Participants/{call_sid}.json",
                   list(values.items()))

    def update_recording(self, call_sid: str, recording_sid: str, status: str) -> None:
        """Pause (silence in the file) or resume a leg's recording."""
        data = [("Status", status)]
        if status == "paused":
            data.append(("PauseBehavior", "silence"))
        self._post(f"/Calls/{call_sid}/Recordings/{recording_sid}.json", data)

    def _post(self, path: str, data: list[tuple[str, str]]) -> dict:
        url = self.base + path
        try:
            response = self.http.post(url, data=data, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise CarrierError(f"Twilio did not answer POST {path}: {exc}.") from exc
        if response.status_code >= 400:
            body = _json(response)
            raise CarrierError(f"Twilio refused POST {path} with {response.status_code}: "
                               f"{body.get('message') or response.text[:200]}",
                               status=response.status_code, code=body.get("code"))
        return _json(response)


def _json(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
