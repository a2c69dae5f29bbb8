"""What the voicemail feature announces once a recording report is committed."""

from __future__ import annotations

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True)
class VoicemailReceived(Event):
    """A caller left a message; it is on a ticket (desks and dashboards refresh)."""

    kind = "voicemail.new"
    live = True
    recording_id: int
    ticket_id: int
    customer_id: int | None
    mailbox: str | None
    call_sid: str


@dataclass(frozen=True)
class RecordingReceived(Event):
    """A recording waits for its transcript (transcription queues the job)."""

    recording_id: int
    duration: int
