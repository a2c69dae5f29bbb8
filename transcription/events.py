"""What the transcription feature announces once a transcript is stored."""

from __future__ import annotations

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True)
class RecordingTranscribed(Event):
    """A recording's text is on its ticket (desks showing the ticket refresh its timeline)."""

    kind = "recording.transcribed"
    live = True
    recording_id: int
    ticket_id: int | None
    customer_id: int | None
