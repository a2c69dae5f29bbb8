"""Who may hear a recording, and removing one (retention, a person's request) with an audit trail.

Supervisors and admins hear every recording. An agent hears the recordings of the mailboxes
and queues they serve, and of tickets assigned to them. Deleting removes the audio and the
transcript (both are personal data) and leaves an audit entry and a note on the timeline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crm_link.models import Ticket
from voicemail.errors import VoicemailError
from voicemail.models import Recording, RecordingAudit, Transcript
from voicemail.recordings import note_on_timeline
from voicemail.storage import RecordingStorage


class RecordingNotFound(VoicemailError):
    """No such recording, or its audio is gone."""


@dataclass(frozen=True)
class Listener:
    """Who asks for audio: an agent account, or the API token (name "api", sees everything)."""

    name: str
    user_id: int | None = None
    role: str = "admin"
    queues: tuple[str, ...] = ()

    @property
    def sees_everything(self) -> bool:
        return self.role in ("supervisor", "admin")


def get_recording(session: Session, recording_id: int) -> Recording:
    recording = session.get(Recording, recording_id)
    if recording is None:
        raise RecordingNotFound(f"There is no recording {recording_id}.")
    return recording


def may_hear(session: Session, listener: Listener, recording: Recording) -> bool:
    if listener.sees_everything:
        return True
    teams = set(listener.queues)
    if recording.mailbox and recording.mailbox in teams:
        return True
    if recording.queue and recording.queue in teams:
        return True
    assignee = session.scalar(select(Ticket.assignee_id).where(Ticket.id == recording.ticket_id))
    return assignee is not None and assignee == listener.user_id


def audit(session: Session, recording_id: int, action: str, listener: Listener,
          now: dt.datetime, **detail) -> None:
    session.add(RecordingAudit(recording_id=recording_id, action=action, actor=listener.name,
                               at=now, detail=detail))


def delete_recording(session: Session, storage: RecordingStorage, recording_id: int,
                     listener: Listener, reason: str, now: dt.datetime) -> Recording:
    """Remove audio and transcript; keep the row (status deleted) and an audit entry."""
    if not reason.strip():
        raise VoicemailError("Say why the recording is deleted (retention, a customer's "
                             "request, ...); the reason is kept in the audit log.")
    recording = get_recording(session, recording_id)
    if recording.status == "deleted":
        return recording
    if recording.storage_key:
        storage.delete(recording.storage_key)
    session.execute(delete(Transcript).where(Transcript.recording_id == recording_id))
    recording.status, recording.deleted_at = "deleted", now
    recording.storage_key, recording.size_bytes = None, None
    note_on_timeline(session, recording,
                     text=f"(recording and transcript deleted on {now:%Y-%m-%d}: {reason})",
                     metadata={"transcription": "deleted"})
    audit(session, recording_id, "deleted", listener, now, reason=reason)
    return recording


def expired(session: Session, older_than_days: int, now: dt.datetime) -> list[int]:
    """Recordings past the retention period, oldest first."""
    cutoff = now - dt.timedelta(days=older_than_days)
    return list(session.scalars(select(Recording.id).where(
        Recording.created_at < cutoff, Recording.status != "deleted").order_by(Recording.id)))
