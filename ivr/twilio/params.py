"""Twilio's webhook form fields, read into the call service's provider-neutral reports."""

from __future__ import annotations

from collections.abc import Mapping

from ivr.calls.ports import Arrival, QueueWait, StatusReport
from ivr.flows.errors import FlowRuntimeError
from ivr.flows.state import DialResult, Event, Input, QueueResult, Recorded
from voicemail.recordings import RecordingReport

MAX_DIGITS = 64
MAX_SPEECH = 500


def arrival(params: Mapping[str, str]) -> Arrival:
    return Arrival(params["CallSid"], params.get("From", ""), params.get("To", ""),
                   params.get("CallStatus", "in-progress"))


def answer(on: str, params: Mapping[str, str]) -> Event:
    """The parameters of an action URL, as the engine's caller input."""
    if on == "gather":
        confidence = params.get("Confidence")
        return Input(digits=params.get("Digits", "")[:MAX_DIGITS],
                     speech=params.get("SpeechResult", "")[:MAX_SPEECH],
                     confidence=float(confidence) if confidence else None)
    if on == "dial":
        return DialResult(params.get("DialCallStatus", "failed"))
    if on == "queue":
        return QueueResult(params.get("QueueResult", "error"))
    if on == "record":
        return Recorded(number(params.get("RecordingDuration")) or 0,
                        params.get("Digits", "")[:8])
    raise FlowRuntimeError(f"Unknown callback kind on={on!r}.")


def queue_wait(params: Mapping[str, str]) -> QueueWait:
    return QueueWait(params["CallSid"], number(params.get("QueueTime")) or 0,
                     number(params.get("QueuePosition")) or 0)


def status(params: Mapping[str, str]) -> StatusReport:
    return StatusReport(params["CallSid"], params.get("CallStatus", ""),
                        number(params.get("CallDuration")), params.get("From", ""),
                        params.get("To", ""))


def answered_call(params: Mapping[str, str]) -> str:
    """The caller's call of an agent leg's status callback (the leg's parent)."""
    return params.get("ParentCallSid") or params["CallSid"]


def recording(params: Mapping[str, str], query: Mapping[str, str]) -> RecordingReport:
    """A recording status callback; `query` holds what we put in its URL (kind, mailbox, take)."""
    kind = query.get("kind", "call")
    return RecordingReport(
        recording_sid=params.get("RecordingSid", ""), call_sid=params.get("CallSid", ""),
        source_url=params.get("RecordingUrl", ""), kind=kind,
        mailbox=query.get("mailbox") if kind == "voicemail" else None,
        take=number(query.get("take")), duration=number(params.get("RecordingDuration")) or 0,
        channels=number(params.get("RecordingChannels")) or 1,
        status=params.get("RecordingStatus", "completed"), caller=params.get("From"))


def number(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
