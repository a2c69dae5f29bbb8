"""What a caller waiting in a queue hears each time the carrier asks: their place in line,
the estimated wait in their language, and, past the queue's threshold, the key for a
call-back that keeps their place (pressed: they leave the line, the place becomes a call-back).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ivr.acd import queueing
from ivr.acd.config import QueueRules
from ivr.acd.estimates import estimate, minutes
from ivr.flows.actions import Speak
from ivr.flows.model import Connect, Flow
from ivr.flows.phrases import phrase
from ivr.flows.prompts import speak
from ivr.flows.state import CallState


@dataclass(frozen=True)
class WaitAnswer:
    leave: bool                        # out of the queue now (<Leave>)
    announcements: tuple[Speak, ...] = ()
    key: str | None = None             # the call-back key, when offered


def wait_answer(conn: Connection, call_sid: str, flow: Flow, state: CallState,
                connect: Connect, rules: QueueRules, waited: int) -> WaitAnswer:
    if waited >= connect.max_wait:
        return WaitAnswer(leave=True)
    with Session(bind=conn) as session:
        guess = estimate(session, call_sid, rules.wrap_up)
    if guess.status == "callback":    # the key was pressed: out of the line, place kept
        return WaitAnswer(leave=True)
    if guess.position == 0:
        return WaitAnswer(False, (speak(flow, state, phrase("queue_hold")),))
    said = replace(state, vars={"position": str(guess.position),
                                "minutes": str(minutes(guess.seconds or 0)),
                                "key": rules.callback.key})
    lines = [speak(flow, said, phrase("queue_position"))]
    if guess.seconds is not None:
        lines.append(speak(flow, said, phrase("queue_estimate")))
    offer = rules.callback.offer_after
    if (offer is not None and guess.seconds is not None and guess.seconds > offer
            and state.caller.get("phone") and guess.status == "waiting"):
        lines.append(speak(flow, said, phrase("queue_callback_offer")))
        return WaitAnswer(False, tuple(lines), rules.callback.key)
    return WaitAnswer(False, tuple(lines))


def key_pressed(conn: Connection, call_sid: str, digits: str, key: str) -> bool:
    """The caller pressed a key while waiting: True when it booked the call-back."""
    if digits[:1] != key:
        return False
    with Session(bind=conn) as session, session.begin():
        return queueing.request_callback(session, call_sid)
