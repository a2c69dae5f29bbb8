"""Transfers and added parties, all inside the conversation's room: the target is rung into
it with the Participants API while the customer holds.

- cold: the agent is dropped as soon as the target answers (nobody is ever left alone with
  music: if the target does not answer, the customer comes back to the agent);
- warm: the agent talks with the target first, then completes (drops out) or cancels;
- conference: a third party joins everyone, nobody holds.
A target agent gets a call row of their own (`transferred_from`), their screen pops, and
their wrap-up follows the call like any.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import agent_states
from core.accounts import User
from core.events import emit
from crm_link.phones import parse_phone
from ivr.acd import queueing
from ivr.events import CallQueued
from ivr.identity import client_identity
from ivr.voice.control import ControlRefused
from ivr.voice.events import changed
from ivr.voice.models import AgentCall

MODES = ("cold", "warm", "conference")
KINDS = ("agent", "number", "queue")
RING_SECONDS = 20
MISSED = ("busy", "no-answer", "failed", "canceled")


def _served(session: Session, queue: str) -> bool:
    """Some active agent lists the queue (JSON lists: checked here, portably)."""
    return any(queue in (queues or []) for queues in session.scalars(
        select(User.queues).where(User.active.is_(True))))


class Transfers:
    """VoiceService's transfers (mixed in; uses its db, carrier, clock, region, hold_music)."""

    def transfer(self, user_id: int, kind: str, target: str, mode: str) -> AgentCall:
        """Ring `target` (an agent's username or a number in any format) into the room."""
        if mode not in MODES or kind not in KINDS or (kind == "queue" and mode != "cold"):
            raise ControlRefused("bad_transfer", f"Transfer {mode!r} to {kind!r} is not one of "
                                 f"{', '.join(MODES)} to an agent or number, or cold to a "
                                 "queue.")
        if kind == "queue":
            return self._to_queue(user_id, target.strip())
        with self.db.session() as session:
            call = self._connected(session, user_id)
            if call.transfer is not None:
                raise ControlRefused("transferring", "A transfer is already in progress.")
            if call.conference_sid is None:
                raise ControlRefused("not_ready", "The call's conference has not started yet.")
            to, agent_id = self._target(session, user_id, kind, target)
            call.transfer = {"mode": mode, "kind": kind, "target": target, "to": to,
                             "agent_id": agent_id, "status": "ringing", "leg": None}
            room, customer, agent_leg = call.conference_sid, call.customer_call_sid, \
                call.agent_call_sid
            call_id, from_ = call.id, call.caller_id or to
        if mode != "conference":
            self.carrier.hold(room, customer, True, self.hold_music)
            self.carrier.end_on_exit(room, agent_leg, False)   # the agent may hand over
        leg = self.carrier.add_party(room, to, from_, call_id, RING_SECONDS,
                                     end_on_exit=kind == "number" and mode == "cold")
        with self.db.session() as session:   # (its status may have come first)
            call = session.get(AgentCall, call_id, with_for_update=True)
            if call.transfer is not None and call.transfer.get("leg") is None:
                call.transfer = {**call.transfer, "leg": leg}
        return self._note(user_id, f"transfer_{mode}", on_hold=mode != "conference")

    def complete_transfer(self, user_id: int) -> AgentCall:
        """Warm transfer: the consulted target takes the customer; the agent drops out."""
        with self.db.session() as session:
            call = self._connected(session, user_id)
            if not call.transfer or call.transfer["status"] != "answered":
                raise ControlRefused("no_transfer", "No answered transfer to complete.")
            call_id = call.id
        self._hand_over(call_id)
        return self._note(user_id, "transfer_completed")

    def cancel_transfer(self, user_id: int) -> AgentCall:
        """Take the customer back: the target's leg is hung up, the customer unheld."""
        with self.db.session() as session:
            call = self._connected(session, user_id)
            if not call.transfer or not call.transfer.get("leg"):
                raise ControlRefused("no_transfer", "No transfer in progress.")
            leg, ringing = call.transfer["leg"], call.transfer["status"] == "ringing"
        self.carrier.hang_up(leg, ringing=ringing)
        return self._note(user_id, "transfer_canceled")

    def transfer_status(self, call_id: int, leg: str, status: str) -> None:
        """The target's leg answered, did not, or left."""
        with self.db.session() as session:
            call = session.get(AgentCall, call_id, with_for_update=True)
            if call is None or not call.transfer or call.transfer.get("leg") not in (leg, None):
                return
            state, mode = call.transfer["status"], call.transfer["mode"]
            if status == "in-progress" and state == "ringing":
                call.transfer = {**call.transfer, "leg": leg, "status": "answered"}
                emit(session, changed(call, self._username(session, call)))
                if mode == "cold":
                    hand_over = True
                elif mode == "conference":
                    self._take_part(session, call, leg)
                    hand_over = False
                else:
                    hand_over = False
            elif status in MISSED or status == "completed":
                hand_over = False
                self._given_up(session, call, status)
            else:
                return
        if hand_over:
            self._hand_over(call_id)

    def _to_queue(self, user_id: int, queue: str) -> AgentCall:
        """The customer holds in the room as the queue's next caller; the agent is done."""
        now = self.clock()
        with self.db.session() as session:
            call = self._connected(session, user_id)
            if call.transfer is not None:
                raise ControlRefused("transferring", "A transfer is already in progress.")
            if not _served(session, queue):
                raise ControlRefused("no_queue", f"No active agent serves queue {queue!r}.")
            call.transfer = {"mode": "cold", "kind": "queue", "target": queue, "to": queue,
                             "agent_id": None, "status": "queued", "leg": None}
            room, customer, agent_leg = call.conference_sid, call.customer_call_sid, \
                call.agent_call_sid
            queueing.join_transfer(session, call.room, customer, queue, call.number,
                                   call.ticket_id, call.caller_id, now)
            emit(session, CallQueued(customer, queue))
        self.carrier.hold(room, customer, True, self.hold_music)
        self.carrier.end_on_exit(room, agent_leg, False)   # the room outlives the agent
        noted = self._note(user_id, "transfer_queue", on_hold=True)
        self.carrier.hang_up(agent_leg)
        return noted

    # ---- the steps -------------------------------------------------------------------------

    def _target(self, session: Session, user_id: int, kind: str,
                target: str) -> tuple[str, int | None]:
        if kind == "number":
            parsed = parse_phone(target, self.region)
            if not parsed.is_number:
                raise ControlRefused("bad_number", f"{target!r} is not a phone number.")
            return parsed.value, None
        agent = session.scalar(select(User).where(User.username == target.strip().lower(),
                                                  User.active.is_(True)))
        if agent is None or agent.id == user_id:
            raise ControlRefused("no_agent", f"{target!r} is no other active agent.")
        if not agent_states.move(session, agent.id, ("available",), "reserved", self.clock()):
            raise ControlRefused("agent_busy", f"{agent.username} is not available.")
        return f"client:{client_identity(agent)}", agent.id

    def _hand_over(self, call_id: int) -> None:
        """The target has the customer now: the customer is back from hold, the agent leaves."""
        with self.db.session() as session:
            call = session.get(AgentCall, call_id)
            leg = call.transfer["leg"]
            self._take_part(session, call, leg)
            room, customer, agent_leg = call.conference_sid, call.customer_call_sid, \
                call.agent_call_sid
            call.transfer = {**call.transfer, "status": "handed_over"}
        self.carrier.hold(room, customer, False, None)
        self.carrier.hang_up(agent_leg)            # the room stays: the agent no longer ends it

    def _take_part(self, session: Session, call: AgentCall, leg: str) -> None:
        """A target agent who answered has a call of their own in the same room."""
        agent_id = call.transfer.get("agent_id")
        if agent_id is None:
            return
        now = self.clock()
        agent_states.move(session, agent_id, ("reserved",), "on_call", now)
        theirs = AgentCall(direction=call.direction, user_id=agent_id, room=call.room,
                           conference_sid=call.conference_sid, agent_call_sid=leg,
                           customer_call_sid=call.customer_call_sid, number=call.number,
                           caller_id=call.caller_id, queue=call.queue, ticket_id=call.ticket_id,
                           customer_id=call.customer_id, language=call.language,
                           record=call.record, recording_sid=call.recording_sid,
                           customer_joined=call.customer_joined, status="connected",
                           started_at=now, connected_at=now,
                           transferred_from=call.id, events=[])
        session.add(theirs)
        session.flush()
        emit(session, changed(theirs, self._username(session, theirs)))

    def _given_up(self, session: Session, call: AgentCall, status: str) -> None:
        """The target did not answer, or left after a consult or as a third party."""
        transfer = call.transfer
        if transfer["status"] == "handed_over":
            return
        call.transfer = None
        if transfer["agent_id"] and transfer["status"] == "ringing":
            agent_states.move(session, transfer["agent_id"], ("reserved",), "available",
                              self.clock())
        emit(session, changed(call, self._username(session, call),
                              None if status == "completed" else "transfer_" + status))
        if transfer["mode"] != "conference" and call.status == "connected":
            self._later(self._take_back, call.id)

    def _take_back(self, call_id: int) -> None:
        with self.db.session() as session:
            call = session.get(AgentCall, call_id)
            room, customer, agent_leg = call.conference_sid, call.customer_call_sid, \
                call.agent_call_sid
            call.on_hold = False
        self.carrier.end_on_exit(room, agent_leg, True)
        self.carrier.hold(room, customer, False, None)
