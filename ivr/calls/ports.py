"""What the call service needs from a carrier adapter, in the carrier's own terms nowhere.

A carrier adapter (ivr/twilio/ for Twilio) turns its webhooks into these reports and the
engine's answers (verbs) into its reply format with a `Renderer`. The call service stores the
rendered reply with the call, so a retried webhook gets exactly the same answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ivr.flows.actions import RecordMessage, Speak, Verb


@dataclass(frozen=True)
class Arrival:
    """A new call: its carrier id, who calls (as the carrier wrote it) and the number dialled."""

    call_id: str
    caller: str
    dialed: str
    status: str = "in-progress"


@dataclass(frozen=True)
class StatusReport:
    """The carrier says how a call stands (ringing, in-progress, completed, busy, ...)."""

    call_id: str
    status: str
    duration: int | None = None
    caller: str = ""
    dialed: str = ""


@dataclass(frozen=True)
class QueueWait:
    """The carrier asks what a caller waiting in a queue hears next."""

    call_id: str
    waited: int      # seconds in the queue so far
    position: int    # 1 = next; 0 = unknown


class Renderer(Protocol):
    """A carrier's reply format (TwiML for Twilio)."""

    def turn(self, verbs: Sequence[Verb], answer_turn: int) -> str:
        """The reply for one turn; its callbacks carry `answer_turn`."""

    def nothing(self) -> str:
        """A reply that asks nothing more of the call (the carrier's answer is ignored)."""

    def waiting(self, announcements: Sequence[Speak], hold_music: str | None, key: str | None,
                turn: int) -> str:
        """Music for a waiting caller after what they are told; `key` books a call-back."""

    def leave_queue(self) -> str:
        """Take the caller out of the queue (they waited too long)."""

    def apology(self, speech: Speak, voicemail: RecordMessage | None) -> str:
        """After an internal failure: an apology, then a message or a hang-up."""

    def goodbye(self, speech: Speak | None = None) -> str:
        """End the call."""
