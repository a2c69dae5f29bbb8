"""Recordings as the carrier reports them: stored once, filed on the caller's timeline, queued.

The report (what the carrier said) and the call's facts (what the telephony feature knows of
the call) come in provider-neutral dataclasses; this module reads no call table. A new pending
recording is announced with `RecordingReceived` once the transaction commits; transcription
queues its job then, and if that fails (Redis down) the sweeper queues it later.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.events import emit
from crm_link.contacts import record_contact, update_interaction
from crm_link.directory import Contact
from voicemail.errors import VoicemailError
from voicemail.events import RecordingReceived, VoicemailReceived
from voicemail.models import Recording

log = logging.getLogger("voicemail")

KINDS = ("voicemail", "call")


@dataclass(frozen=True)
class RecordingReport:
    """A recording callback: which recording, of which call, how long, and whether it worked."""

    recording_sid: str
    call_sid: str
    source_url: str
    kind: str = "call"              # voicemail | call
    mailbox: str | None = None
    take: int | None = None
    duration: int = 0
    channels: int = 1
    status: str = "completed"       # anything else: the carrier has no audio
    caller: str | None = None       # the caller's number as reported, when the call is unknown


@dataclass(frozen=True)
class CallFacts:
    """What the call the recording belongs to says about it (None: the call is unknown)."""

    caller: str
    language: str | None
    queue: str | None
    customer_id: int | None
    discarded_takes: frozenset[tuple[str, int]] = frozenset()   # (mailbox, take)
    direction: str = "inbound"      # outbound: an agent called the customer (`caller`)
    ticket_id: int | None = None    # ... from this ticket


def receive(session: Session, report: RecordingReport, call: CallFacts | None, *,
            now: dt.datetime, region: str, window_days: int) -> tuple[Recording, bool]:
    """Store a recording report once (carriers retry); return it and whether it is new."""
    if not report.recording_sid or not report.source_url:
        raise VoicemailError(f"Recording callback for call {report.call_sid!r} has no "
                             "RecordingSid or RecordingUrl.")
    existing = _by_sid(session, report.recording_sid)
    if existing is not None:
        return existing, False
    if report.kind not in KINDS:
        raise VoicemailError(f"Recording kind must be voicemail or call, not {report.kind!r}.")
    recording = _new(report, call)
    try:
        with session.begin_nested():
            session.add(recording)
    except IntegrityError:  # the same callback, retried concurrently, won the insert
        return _by_sid(session, report.recording_sid), False
    if report.status != "completed":
        recording.status = "failed"
        recording.failure_reason = (f"Twilio reported the recording as {report.status!r}; "
                                    "there is no audio.")
    elif call is not None and (recording.mailbox, recording.take) in call.discarded_takes:
        recording.status = "discarded"  # "record again" was pressed before this callback came
        return recording, True
    _file_on_timeline(session, recording, call, report, now, region, window_days)
    _announce(session, recording)
    return recording, True


def _by_sid(session: Session, sid: str) -> Recording | None:
    return session.scalar(select(Recording).where(Recording.recording_sid == sid))


def _new(report: RecordingReport, call: CallFacts | None) -> Recording:
    voicemail = report.kind == "voicemail"
    return Recording(
        recording_sid=report.recording_sid, call_sid=report.call_sid, kind=report.kind,
        mailbox=report.mailbox if voicemail else None, take=report.take,
        source_url=report.source_url, duration=report.duration, channels=report.channels,
        language=call.language if call else None, queue=call.queue if call else None,
        customer_id=call.customer_id if call else None, status="pending")


def _file_on_timeline(session: Session, recording: Recording, call: CallFacts | None,
                      report: RecordingReport, now: dt.datetime, region: str,
                      window_days: int) -> None:
    """A voicemail or recorded call joins (or opens) a ticket on the caller's record at once."""
    voicemail = recording.kind == "voicemail"
    caller = (call.caller if call else report.caller) or "anonymous"
    outbound = call is not None and call.direction == "outbound"
    contact = Contact(
        channel="voicemail" if voicemail else "voice", phone=caller,
        direction="outbound" if outbound else "inbound",
        ticket_id=call.ticket_id if call else None,
        subject=f"Voicemail ({recording.mailbox})" if voicemail else "Recorded call",
        text="", external_id=f"recording:{recording.recording_sid}", at=now,
        metadata={"CallSid": recording.call_sid, "RecordingSid": recording.recording_sid,
                  "mailbox": recording.mailbox, "duration": recording.duration,
                  "transcription": recording.status,
                  **({"failure_reason": recording.failure_reason}
                     if recording.failure_reason else {})},
        attachments=({"kind": "recording", "recording_id": recording.id,
                      "url": f"/recordings/{recording.id}", "duration": recording.duration},))
    result = record_contact(session, contact, region=region, window_days=window_days)
    recording.customer_id = result.customer_id
    recording.ticket_id = result.ticket_id
    recording.interaction_id = result.interaction_id


def _announce(session: Session, recording: Recording) -> None:
    if recording.kind == "voicemail" and recording.ticket_id:
        emit(session, VoicemailReceived(recording.id, recording.ticket_id,
                                        recording.customer_id, recording.mailbox,
                                        recording.call_sid))
    if recording.status == "pending":
        emit(session, RecordingReceived(recording.id, recording.duration))


def discard_take(session: Session, call_sid: str, mailbox: str, take: int) -> None:
    """Re-recording replaces a take: if its callback came already, take it off the timeline."""
    recording = session.scalar(select(Recording).where(
        Recording.call_sid == call_sid, Recording.kind == "voicemail",
        Recording.mailbox == mailbox, Recording.take == take))
    if recording is None or recording.status == "discarded":
        return
    recording.status = "discarded"
    note_on_timeline(session, recording, text="(re-recorded by the caller; see the newer message)",
                     metadata={"transcription": "discarded"})


def note_on_timeline(session: Session, recording: Recording, *, text: str | None = None,
                     metadata: dict | None = None) -> None:
    """Show what became of a recording on its timeline entry (transcript, failure, deletion)."""
    if recording.interaction_id is not None:
        update_interaction(session, recording.interaction_id, text=text, metadata=metadata)
