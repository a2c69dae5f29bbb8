"""What an agent does with their own call from the desk: hold the customer, pause the
recording while a card number is read, and close the call with a disposition (wrap-up).

Only the agent's own current call is ever touched: the desk names no call, the signed-in
agent does.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import agent_states
from core.accounts import User
from core.events import emit
from crm_link.tickets import add_system_note
from ivr.errors import IvrError
from ivr.voice.events import changed
from ivr.voice.models import AgentCall

MAX_NOTE = 2000


class ControlRefused(IvrError):
    """The agent's call cannot do that now; `reason` names why for the agent's language."""

    http_status = 409

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def current(session: Session, user_id: int) -> AgentCall | None:
    """The agent's call in progress, if any."""
    return session.scalar(select(AgentCall).where(AgentCall.user_id == user_id,
                                                  AgentCall.status != "ended")
                          .order_by(AgentCall.id.desc()).limit(1))


def latest(session: Session, user_id: int) -> AgentCall | None:
    """The agent's latest call, over or not (the one a wrap-up form is about)."""
    return session.scalar(select(AgentCall).where(AgentCall.user_id == user_id)
                          .order_by(AgentCall.id.desc()).limit(1))


class Controls:
    """VoiceService's desk actions (mixed in; uses its db, carrier, clock, queues)."""

    def hold(self, user_id: int, on: bool) -> AgentCall:
        """Hold the customer (they hear the hold music) or bring them back."""
        with self.db.session() as session:
            call = self._connected(session, user_id)
            if call.conference_sid is None:
                raise ControlRefused("not_ready", "The call's conference has not started yet.")
            conference, leg = call.conference_sid, call.customer_call_sid
        self.carrier.hold(conference, leg, on, self.hold_music)
        return self._note(user_id, "hold" if on else "resume", on_hold=on)

    def pause_recording(self, user_id: int, paused: bool) -> AgentCall:
        """Stop recording while a secret is spoken; the gap is kept on the call's history."""
        with self.db.session() as session:
            call = self._connected(session, user_id)
            if not call.recording_sid:
                raise ControlRefused("not_recorded", "This call is not being recorded.")
            leg, recording = call.customer_call_sid, call.recording_sid
        self.carrier.pause_recording(leg, recording, paused)
        return self._note(user_id, "pause" if paused else "unpause", recording_paused=paused)

    def wrap_up(self, user_id: int, disposition: str | None, note: str = "") -> AgentCall:
        """Close the latest call with its disposition (and note); wrap-up ends here."""
        now = self.clock()
        with self.db.session() as session:
            call = latest(session, user_id)
            if call is None:
                raise ControlRefused("no_call", "There is no call to wrap up.")
            codes = self.queues().dispositions_for(call.queue)
            if codes and disposition not in codes:
                raise ControlRefused("bad_disposition", f"{disposition!r} is not a disposition "
                                     f"of queue {call.queue!r} ({', '.join(codes)}).")
            note = note.strip()
            if len(note) > MAX_NOTE:
                raise ControlRefused("long_note", f"The note has {len(note)} characters; at "
                                     f"most {MAX_NOTE} fit.")
            call.disposition, call.wrap_note, call.wrapped_at = disposition, note or None, now
            user = session.get(User, user_id)
            if call.ticket_id and (note or disposition):   # the desk shows the code's label
                add_system_note(session, call.ticket_id, note, now, user.display_name,
                                {"agent_call": call.id, "disposition": disposition,
                                 "kind": "wrap_up"})
            if call.status == "ended":
                agent_states.move(session, user_id, ("wrap_up",), "available", now)
            emit(session, changed(call, user.username))
            session.expunge(call)
            return call

    def _connected(self, session: Session, user_id: int) -> AgentCall:
        call = current(session, user_id)
        if call is None or call.status != "connected" or not call.customer_call_sid:
            raise ControlRefused("no_call", "You have no connected call.")
        if not call.customer_joined or call.conference_sid is None:
            raise ControlRefused("not_ready", "The customer has not joined the call yet.")
        return call

    def _note(self, user_id: int, kind: str, **state) -> AgentCall:
        now = self.clock()
        with self.db.session() as session:
            call = current(session, user_id)
            offset = int((now - call.connected_at).total_seconds()) if call.connected_at else 0
            call.events = [*(call.events or []), {"at": now.isoformat(), "kind": kind,
                                                  "offset": offset}]
            for name, value in state.items():
                setattr(call, name, value)
            session.flush()
            username = session.scalar(select(User.username).where(User.id == user_id))
            emit(session, changed(call, username))
            session.flush()
            session.expunge(call)
            return call
