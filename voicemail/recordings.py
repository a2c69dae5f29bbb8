"""Recording callbacks from Twilio: stored once, filed on the caller's timeline, queued for text.

The callback is recorded in the same transaction as its pending transcription; queueing the
job happens after the commit and may fail (Redis down) without losing anything: the sweeper
queues every pending recording that has no live job.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_link.contacts import record_contact, update_interaction
from crm_link.directory import Contact
from ivr.models import Call
from voicemail.errors import VoicemailError
from voicemail.models import Recording

log = logging.getLogger("voicemail")

KINDS = ("voicemail", "call")


def receive(session: Session, params: Mapping[str, str], query: Mapping[str, str], *,
            now: dt.datetime, region: str, window_days: int) -> tuple[Recording, bool]:
    """Store a recording callback once (Twilio retries); return it and whether it is new."""
    sid = params.get("RecordingSid", "")
    if not sid or not params.get("RecordingUrl"):
        raise VoicemailError(f"Recording callback for call {params.get('CallSid')!r} has no "
                             "RecordingSid or RecordingUrl.")
    existing = session.scalar(select(Recording).where(Recording.recording_sid == sid))
    if existing is not None:
        return existing, False
    kind = query.get("kind", "call")
    if kind not in KINDS:
        raise VoicemailError(f"Recording kind must be voicemail or call, not {kind!r}.")
    call = session.scalar(select(Call).where(Call.call_sid == params.get("CallSid", "")))
    recording = _new(params, query, kind, call)
    try:
        with session.begin_nested():
            session.add(recording)
    except IntegrityError:  # the same callback, retried concurrently, won the insert
        return session.scalar(select(Recording).where(Recording.recording_sid == sid)), False
    if params.get("RecordingStatus", "completed") != "completed":
        recording.status = "failed"
        recording.failure_reason = (f"Twilio reported the recording as "
                                    f"{params.get('RecordingStatus')!r}; there is no audio.")
    elif _discarded(session, call, recording):
        recording.status = "discarded"
        return recording, True
    _file_on_timeline(session, recording, call, params, now, region, window_days)
    return recording, True


def _new(params: Mapping[str, str], query: Mapping[str, str], kind: str,
         call: Call | None) -> Recording:
    language = (call.state or {}).get("language") if call else None
    return Recording(
        recording_sid=params["RecordingSid"], call_sid=params.get("CallSid", ""), kind=kind,
        mailbox=query.get("mailbox") if kind == "voicemail" else None,
        take=_int(query.get("take")), source_url=params["RecordingUrl"],
        duration=_int(params.get("RecordingDuration")) or 0,
        channels=_int(params.get("RecordingChannels")) or 1, language=language,
        customer_id=call.customer_id if call else None, status="pending")


def _discarded(session: Session, call: Call | None, recording: Recording) -> bool:
    """The caller pressed "record again" for this take before its callback arrived."""
    if call is None or recording.kind != "voicemail":
        return False
    return any(e.get("mailbox") == recording.mailbox and e.get("take") == recording.take
               for e in call.events_of("discard_take"))


def _file_on_timeline(session: Session, recording: Recording, call: Call | None,
                      params: Mapping[str, str], now: dt.datetime, region: str,
                      window_days: int) -> None:
    """A voicemail or recorded call joins (or opens) a ticket on the caller's record at once."""
    voicemail = recording.kind == "voicemail"
    caller = (call.from_number if call else params.get("From")) or "anonymous"
    contact = Contact(
        channel="voicemail" if voicemail else "voice", phone=caller,
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
    if call is not None and call.customer_id is None:  # an unknown caller is now a customer
        call.customer_id = result.customer_id
    recording.ticket_id = result.ticket_id
    recording.interaction_id = result.interaction_id


def discard_take(session: Session, call_sid: str, mailbox: str, take: int) -> None:
    """Re-recording replaces a take: if its callback came already, take it off the timeline."""
    recording = session.scalar(select(Recording).where(
        Recording.call_sid == call_sid, Recording.kind == "voicemail",
        Recording.mailbox == mailbox, Recording.take == take))
    if recording is None or recording.status == "discarded":
        return
    recording.status = "discarded"
    if recording.interaction_id is not None:
        update_interaction(session, recording.interaction_id,
                           text="(re-recorded by the caller; see the newer message)",
                           metadata={"transcription": "discarded"})


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
