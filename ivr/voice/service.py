"""Desk calls at work in each process: place the customer's leg, record it, hold it, end it.

Webhooks never wait on the carrier's REST API: what must be asked of it after a webhook's
commit runs on this process's small pool of threads.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import select

from core import agent_states
from core.accounts import User
from core.db import Database
from core.events import emit
from ivr.acd import queueing
from ivr.acd.config import QueueConfig
from ivr.errors import IvrError
from ivr.flows.model import Text
from ivr.flows.phrases import phrase
from ivr.identity import agent_for, client_identity
from ivr.voice import legs, outbound
from ivr.voice.control import Controls
from ivr.voice.events import AgentCallChanged, changed
from ivr.voice.models import AgentCall
from ivr.voice.monitor import Monitors, monitor_left
from ivr.voice.outbound import CallRefused, Plan
from ivr.voice.ports import VoiceCarrier, VoiceToken
from ivr.voice.transfer import Transfers

log = logging.getLogger("ivr.voice")
RING_SECONDS = 30           # how long the customer's phone rings
WORKERS = 4


@dataclass(frozen=True)
class Placed:
    """The agent's browser leg joins `room`; the customer is being dialed."""

    call_id: int
    room: str


@dataclass(frozen=True)
class Answer:
    """The customer picked up: what they hear first (None: nothing), then the room."""

    room: str
    notice: Text | None
    language: str


class VoiceService(Controls, Transfers, Monitors):
    """One per process; every decision is in the database, so processes may share calls."""

    def __init__(self, db: Database, queues: Callable[[], QueueConfig], carrier: VoiceCarrier,
                 clock: Callable[[], dt.datetime], publish: Callable[[object], None], *,
                 region: str = "JP", window_days: int = 7, hold_music: str | None = None,
                 kick_at: Callable[[float], None] = lambda _s: None,
                 callback_result: Callable[[int, str], object] = lambda _o, _s: None):
        self.db, self.queues, self.carrier, self.clock = db, queues, carrier, clock
        self.publish, self.region, self.window_days = publish, region, window_days
        self.hold_music, self.kick_at = hold_music, kick_at
        self.callback_result = callback_result      # the distributor notes each try
        self._pool: ThreadPoolExecutor | None = None
        self._closed = False

    def close(self) -> None:
        self._closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def token(self, user: User) -> VoiceToken:
        """The browser phone's access token for this agent (SoftphoneOff when it cannot be)."""
        return self.carrier.token(client_identity(user), self.clock())

    # ---- placing a call ----------------------------------------------------------------------

    def prepare(self, user_id: int, to: str, *, ticket_id: int | None = None,
                queue: str | None = None) -> Plan:
        """Check a call the desk is about to place (raises CallRefused with the reason)."""
        with self.db.session() as session:
            user = session.get(User, user_id)
            return outbound.plan(session, user, to, self.queues(), self.region,
                                 ticket_id=ticket_id, queue=queue)

    def placed(self, identity: str, to: str, agent_leg: str, *, ticket_id: int | None = None,
               queue: str | None = None) -> Placed:
        """The agent's browser called out (/twilio/client): file the call, then dial."""
        username = None
        try:
            with self.db.session() as session:
                user = agent_for(session, identity)
                if user is None:
                    raise CallRefused("not_agent", f"Client {identity!r} is no active agent.")
                username = user.username
                plan = outbound.plan(session, user, to, self.queues(), self.region,
                                     ticket_id=ticket_id, queue=queue)
                call = outbound.start(session, plan, agent_leg, self.clock())
                legs.file_on_timeline(session, call, plan, user, self.region, self.window_days)
                emit(session, changed(call, username))
                placed = Placed(call.id, call.room)
        except CallRefused as exc:
            if username is not None:
                self.publish(AgentCallChanged(username, None, "refused", reason=exc.reason))
            raise
        self._later(self._dial, placed.call_id, username)
        return placed

    def callback(self, answered, agent_leg: str) -> Placed:
        """An agent took a call-back (the ACD's offer): the customer is dialed into their room
        like a desk call (notice, recording, ticket), and the try reported to the ACD."""
        with self.db.session() as session:
            user = session.scalar(select(User).where(User.username == answered.username))
            plan = outbound.callback_plan(session, user, answered.dial, answered.caller_id,
                                          answered.queue, answered.ticket_id, self.queues(),
                                          self.region)
            call = outbound.start(session, plan, agent_leg, self.clock(),
                                  callback_offer=answered.offer_id)
            legs.file_on_timeline(session, call, plan, user, self.region, self.window_days)
            emit(session, changed(call, user.username))
            placed = Placed(call.id, call.room)
        self._later(self._dial, placed.call_id, answered.username)
        return placed

    def _dial(self, call_id: int, username: str) -> None:
        with self.db.session() as session:
            call = session.get(AgentCall, call_id)
            number, caller_id, status = call.number, call.caller_id, call.status
        if status != "dialing":
            return                    # the agent hung up before we got here
        try:
            leg = self.carrier.dial(call_id, number, caller_id, RING_SECONDS)
        except IvrError as exc:
            log.error("could not dial the customer", extra={"agent_call": call_id,
                                                            "error": str(exc)})
            self._failed(call_id, username)
            return
        with self.db.session() as session:
            legs.customer_dialed(session, call_id, leg, username, self.clock())

    def _failed(self, call_id: int, username: str) -> None:
        with self.db.session() as session:
            call = session.get(AgentCall, call_id)
            legs.end(session, call, "failed", self.clock())
            agent_leg, offer = call.agent_call_sid, call.callback_offer
            if offer is None:      # (a call-back's agent is the distributor's to free)
                agent_states.move(session, call.user_id, ("on_call",), "available",
                                  self.clock())
            emit(session, changed(call, username, "failed"))
        if offer is not None:
            self.callback_result(offer, "failed")
        self._hang_up(agent_leg)

    def inbound(self, answered, agent_leg: str) -> None:
        """An agent took a queued caller (the ACD's offer), who is about to join their room:
        from now the desk may hold them. (AcdService.on_answer.)"""
        with self.db.session() as session:
            user_id = session.scalar(select(User.id).where(User.username == answered.username))
            call = legs.inbound_connected(session, user_id, answered.room, agent_leg,
                                          answered.call_sid, answered.queue, None, self.clock())
            room = call.conference_sid
            emit(session, changed(call, answered.username))
        if answered.transfer and room:     # handed over through a queue: off hold for them
            self._later(self.carrier.hold, room, answered.call_sid, False, None)

    def inbound_recorded(self, room: str, recording_sid: str) -> None:
        """The conversation's recording started (AcdService.on_recorded): it may be paused."""
        with self.db.session() as session:
            call = session.scalar(select(AgentCall).where(AgentCall.room == room)
                                  .order_by(AgentCall.id).limit(1))
            if call is None:
                return
            call.record, call.recording_sid = True, recording_sid
            call.events = [*(call.events or []), {"at": self.clock().isoformat(),
                                                  "kind": "recording_started"}]
            emit(session, changed(call, self._username(session, call)))

    # ---- the legs report ---------------------------------------------------------------------

    def answered(self, call_id: int, leg: str) -> Answer | None:
        """The customer picked up: the notice when recorded, then the room (None: not ours)."""
        with self.db.session() as session:
            first = getattr(session.get(AgentCall, call_id), "status", None) == "dialing"
            call = legs.customer_answered(session, call_id, leg, self.clock())
            if call is None:
                return None
            emit(session, changed(call, self._username(session, call)))
            rules = self.queues().queue(call.queue) if call.queue else None
            notice = None
            if call.record:
                notice = (rules.recording_notice if rules else None) or phrase("recording_notice")
            answer = Answer(call.room, notice, call.language)
            offer = call.callback_offer if first else None   # (Twilio may ask twice)
        if offer is not None:             # a call-back reached: noted before anyone hangs up
            self.callback_result(offer, "completed")
        if notice is not None:
            self._later(self._record, call_id, leg)
        return answer

    def _record(self, call_id: int, leg: str) -> None:
        try:
            sid = self.carrier.record(leg)
        except IvrError as exc:
            log.error("could not record a desk call", extra={"agent_call": call_id,
                                                             "error": str(exc)})
            return
        with self.db.session() as session:
            call = session.get(AgentCall, call_id)
            call.recording_sid = sid
            call.events = [*(call.events or []), {"at": self.clock().isoformat(),
                                                  "kind": "recording_started"}]
            emit(session, changed(call, self._username(session, call)))   # "pause" shows

    def customer_ended(self, call_id: int, leg: str, status: str, duration: int) -> None:
        """The customer's leg reported; at its end the agent's leg goes too."""
        with self.db.session() as session:
            call = legs.customer_status(session, call_id, leg, status, duration, self.clock())
            agent_leg = self._over(session, call)
            offer = call.callback_offer if call is not None else None
            reached = call is not None and call.connected_at is not None
        if offer is not None and not reached:      # (reached: noted at the answer)
            self.callback_result(offer, status)
        self._hang_up(agent_leg)

    def conference(self, room: str, event: str, conference_sid: str, leg: str) -> None:
        """The room started (its id noted), lost an agent or ended: their calls are over."""
        ringing = []
        with self.db.session() as session:
            if event == "participant-leave":
                monitor_left(session, leg, self.clock())
            if event == "conference-end":    # a customer waiting in a queue transfer left
                queueing.leave_room(session, room, "hangup", self.clock())
            for call in legs.conference_event(session, room, event, conference_sid, leg,
                                              self.clock()):
                if call.connected_at is None and call.customer_call_sid:
                    ringing.append(call.customer_call_sid)
                self._over(session, call)
        for customer in ringing:     # the agent gave up before the customer answered
            self._hang_up(customer, ringing=True)

    def _over(self, session, call: AgentCall | None) -> str | None:
        """An ended call: its agent to wrap-up (outbound; the ACD does inbound), announced."""
        if call is None:
            return None
        if call.direction == "outbound" and call.callback_offer is None:
            seconds = self.queues().queue(call.queue).wrap_up if call.queue else 0
            agent_states.start_wrap_up(session, call.user_id, ("on_call",), self.clock(),
                                       seconds)
            if seconds:
                self.kick_at(seconds)
        emit(session, changed(call, self._username(session, call)))
        return call.agent_call_sid

    # ---- helpers ------------------------------------------------------------------------

    def _username(self, session, call: AgentCall) -> str:
        return session.scalar(select(User.username).where(User.id == call.user_id))

    def _hang_up(self, leg: str | None, ringing: bool = False) -> None:
        if leg:
            self._later(self._quiet_hang_up, leg, ringing)

    def _quiet_hang_up(self, leg: str, ringing: bool) -> None:
        try:
            self.carrier.hang_up(leg, ringing=ringing)
        except IvrError:
            log.exception("could not hang up a desk call's leg")

    def _later(self, work: Callable, *args) -> None:
        if self._closed:       # shutting down: Twilio retries, and the safety nets catch up
            log.warning("desk call work dropped at shutdown", extra={"work": work.__name__})
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="voice")
        self._pool.submit(self._logged, work, *args)

    @staticmethod
    def _logged(work: Callable, *args) -> None:
        try:
            work(*args)
        except Exception:  # noqa: BLE001 -- a pool thread has nobody to raise to
            log.exception("desk call work failed")
