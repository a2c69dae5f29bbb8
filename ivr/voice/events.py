"""What desk calls announce: each change of an agent's own call, for their softphone."""

from __future__ import annotations

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True)
class AgentCallChanged(Event):
    """An agent's call changed (dialing, connected, on hold, ended, refused); their desk follows."""

    kind = "voice.call"
    live = True
    username: str
    call_id: int | None
    status: str                     # dialing | connected | ended | refused | failed
    direction: str = "outbound"
    number: str | None = None
    ticket_id: int | None = None
    on_hold: bool = False
    recording_paused: bool = False
    recorded: bool = False
    transfer: str | None = None     # a transfer's state: ringing | answered | handed_over
    transfer_mode: str | None = None
    reason: str | None = None       # ended: how; refused/failed: why (a CallRefused reason)


def changed(call, username: str, reason: str | None = None) -> AgentCallChanged:
    """The event for a call row as it stands."""
    transfer = call.transfer or {}
    return AgentCallChanged(username, call.id, call.status, call.direction, call.number,
                            call.ticket_id, call.on_hold, call.recording_paused,
                            bool(call.recording_sid), transfer.get("status"),
                            transfer.get("mode"), reason or call.ended_reason)
