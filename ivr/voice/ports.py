"""What the desk's calls need from a carrier (Twilio's adapter: ivr/twilio/conference.py):
browser phones' tokens, the customer's leg, recording, hold."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from ivr.errors import IvrError


class SoftphoneOff(IvrError):
    """The softphone cannot work here: settings it needs are missing."""

    http_status = 503


@dataclass(frozen=True)
class VoiceToken:
    """What the browser's phone signs in with: for one identity, until `expires_at`."""

    token: str
    identity: str
    expires_at: dt.datetime

    def to_dict(self) -> dict:
        return {"token": self.token, "identity": self.identity,
                "expires_at": self.expires_at.isoformat().replace("+00:00", "Z")}


class VoiceCarrier(Protocol):
    def token(self, identity: str, now: dt.datetime) -> VoiceToken:
        """An access token for the browser phone of `identity` (SoftphoneOff: cannot)."""

    def dial(self, call_id: int, to: str, from_: str, timeout: int) -> str:
        """Ring the customer for desk call `call_id`; the new leg's id."""

    def record(self, call_sid: str) -> str:
        """Record a leg on two channels (its voice, and what it hears); the recording's id."""

    def hold(self, conference_sid: str, call_sid: str, on: bool, music: str | None) -> None:
        """Put a conference participant on hold (they hear `music`) or back."""

    def add_party(self, conference_sid: str, to: str, from_: str, call_id: int,
                  timeout: int, end_on_exit: bool = False) -> str:
        """Ring `to` into the room (a transfer's target, a third party); the new leg's id."""

    def end_on_exit(self, conference_sid: str, call_sid: str, on: bool) -> None:
        """Whether the room ends when this participant leaves (an agent handing over: no)."""

    def monitor(self, conference_sid: str, call_sid: str, **values: str) -> None:
        """Change how a monitoring supervisor takes part (Muted, Coaching, CallSidToCoach)."""

    def pause_recording(self, call_sid: str, recording_sid: str, paused: bool) -> None:
        """Pause a leg's recording (a card number is being read) or resume it."""

    def hang_up(self, call_sid: str, ringing: bool = False) -> None:
        """End a leg (canceled while it rings); a leg already over is not an error."""
