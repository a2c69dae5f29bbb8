"""Where a desk call's recording was paused (a card number read out): the gaps, in seconds
from the recording's start, kept on its timeline entry for the player and the transcript."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_link.contacts import update_interaction
from ivr.voice.models import AgentCall


def gaps_of(call: AgentCall) -> list[list[int]]:
    """[[start, end], ...] of each pause (end None while still paused)."""
    started, gaps = None, []
    for event in call.events or []:
        at = dt.datetime.fromisoformat(event["at"])
        if event["kind"] == "recording_started":
            started = at
        elif event["kind"] == "pause" and started is not None:
            gaps.append([_seconds(at - started), None])
        elif event["kind"] == "unpause" and gaps and gaps[-1][1] is None:
            gaps[-1][1] = _seconds(at - started)
    return gaps


def mark(session: Session, recording_sid: str, interaction_id: int | None) -> list[list[int]]:
    """Note a new recording's gaps on its timeline entry (none: nothing written)."""
    call = session.scalar(select(AgentCall).where(AgentCall.recording_sid == recording_sid)
                          .order_by(AgentCall.id).limit(1))
    gaps = gaps_of(call) if call is not None else []
    if gaps and interaction_id:
        update_interaction(session, interaction_id, metadata={"recording_gaps": gaps})
    return gaps


def _seconds(delta: dt.timedelta) -> int:
    return max(0, int(delta.total_seconds()))
