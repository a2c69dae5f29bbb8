"""The distributor at work in each process: offers callers to free agents, rings them through
the carrier, and moves offers, callers and agents along as the agents' legs report.

`kick()` wakes this process's dispatcher thread (an agent became available, a caller joined
a queue, an offer was missed); the thread also wakes every few seconds to end wrap-ups, give
up offers whose carrier never reported, and distribute what is left. Webhooks never wait on
Twilio's REST API: rings are placed from the thread.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from sqlalchemy import select, update

from core import agent_states
from core.accounts import User
from core.db import Database
from ivr.acd import callbacks, queueing
from ivr.acd.config import QueueConfig
from ivr.acd.distributor import Dispatch, distribute
from ivr.acd.models import Offer, Waiting
from ivr.acd.ports import Carrier, CarrierDown
from ivr.events import CallOffered
from ivr.models import Call

log = logging.getLogger("ivr.acd")
TICK_SECONDS = 2.0          # the thread's safety-net pass
LOST_AFTER = 60             # seconds past the ring timeout before an offer with no report is missed
MISSED = ("no-answer", "busy", "failed")
RINGERS = 8                 # REST requests placed at once by one process
PAUSE_SECONDS = 30          # after the carrier refused a call for the whole account


@dataclass(frozen=True)
class Answered:
    """An agent picked up: the room to join, or None when the caller had just gone."""

    offer_id: int
    username: str
    call_sid: str | None
    queue: str
    room: str | None
    language: str = "ja"          # the agent's, for what they hear
    dial: str | None = None       # a call-back: the customer's number to dial
    caller_id: str | None = None  # ... shown to them as ours
    recording_sid: str | None = None   # the conversation's recording, when it is recorded
    ticket_id: int | None = None       # a call-back's ticket
    transfer: bool = False             # a customer handed over by an agent, in `room` already


class AcdService:
    """One per process; the database decides, so any number of them may run at once."""

    def __init__(self, db: Database, queues: Callable[[], QueueConfig], carrier: Carrier,
                 clock: Callable[[], dt.datetime], publish: Callable[[object], None]):
        self.db, self.queues, self.carrier, self.clock = db, queues, carrier, clock
        self.publish = publish
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._due: list[float] = []     # monotonic times a wrap-up ends in this process
        self._pool: ThreadPoolExecutor | None = None
        self._paused_until = 0.0     # the carrier refused calls: wait before ringing again
        self._pool_pid = 0
        self._closed = False
        # Told when an agent takes a caller (before the caller is brought in), and when their
        # conversation's recording starts: the desk's call control (ivr.voice) listens.
        self.on_answer: Callable[[Answered, str], None] | None = None
        self.on_recorded: Callable[[str, str], None] | None = None

    # ---- the dispatcher thread -------------------------------------------------------------

    def kick(self) -> None:
        """Distribute soon (within milliseconds) from this process's thread (none once closed:
        a late webhook during shutdown must not start it again)."""
        if self._closed:
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                self._pid, self._stop = os.getpid(), threading.Event()
                self._thread = threading.Thread(target=self._loop, name="acd-dispatcher",
                                                daemon=True)
                self._thread.start()
        self._wake.set()

    def close(self) -> None:
        self._closed = True
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=5)
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def kick_at(self, seconds: float) -> None:
        """Distribute again in `seconds` (an agent's wrap-up ends then)."""
        with self._lock:
            self._due.append(time.monotonic() + seconds)
        self.kick()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._until_due())
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.tick()
            except Exception:  # noqa: BLE001 -- the next pass retries; calls keep waiting
                log.exception("distribution pass failed")

    def _until_due(self) -> float:
        now = time.monotonic()
        with self._lock:
            self._due = [due for due in self._due if due > now - 0.05]
            soonest = min(self._due, default=now + TICK_SECONDS)
        return max(0.0, min(TICK_SECONDS, soonest - now + 0.01))

    def tick(self) -> int:
        """One pass: wrap-ups ended, lost offers missed, callers offered. Offers made."""
        now = self.clock()
        with self.db.session() as session:
            self._end_wrap_ups(session, now)
            self._give_up_lost(session, now)
        return self.distribute()

    def distribute(self) -> int:
        if time.monotonic() < self._paused_until:
            return 0
        with self.db.session() as session:
            made = distribute(session, self.queues(), self.clock)
        if len(made) == 1:
            self._ring(dispatch=made[0])
        else:  # many agents freed at once: ring them side by side, not one after another
            list(self._rings().map(self._ring, made))
        return len(made)

    def _rings(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None or self._pool_pid != os.getpid():
                self._pool, self._pool_pid = ThreadPoolExecutor(RINGERS, "acd-ring"), os.getpid()
            return self._pool

    def _ring(self, dispatch: Dispatch) -> None:
        """Place the agent's leg; if the carrier refuses, the caller waits on for the next agent."""
        try:
            leg = self.carrier.ring(dispatch.offer_id, dispatch.to, dispatch.from_,
                                    dispatch.ring_timeout)
        except CarrierDown as exc:  # nobody can be rung: pause, do not blame the agents
            log.error("the carrier refuses calls; distribution paused",
                      extra={"seconds": PAUSE_SECONDS, "error": str(exc)})
            self._paused_until = time.monotonic() + PAUSE_SECONDS
            self.leg_ended(dispatch.offer_id, "carrier-down")
            return
        except Exception as exc:  # noqa: BLE001 -- any refusal: the caller must not be lost
            log.warning("agent could not be rung", extra={"agent": dispatch.username,
                                                          "error": str(exc)})
            self.leg_ended(dispatch.offer_id, "failed")
            return
        with self.db.session() as session:
            session.execute(update(Offer).where(Offer.id == dispatch.offer_id)
                            .values(agent_call_sid=leg))
            status = session.scalar(select(Offer.status).where(Offer.id == dispatch.offer_id))
            caller = _caller(session, dispatch.call_sid)
        if status == "canceled":  # the caller left while we were dialing
            self.carrier.hang_up(leg, ringing=True)
            return
        if dispatch.kind in ("call", "transfer"):
            self.publish(CallOffered(dispatch.call_sid or "", dispatch.queue,
                                     [dispatch.username], caller))

    # ---- the agent's leg -------------------------------------------------------------------

    def answered(self, offer_id: int, agent_leg: str = "") -> Answered | None:
        """The agent picked up: on the call now, and the caller is brought to their room.
        None when the offer is over (the caller left first)."""
        now = self.clock()
        with self.db.session() as session:
            offer = session.get(Offer, offer_id)
            if offer is None or offer.status not in ("ringing", "answered"):
                return None
            entry = session.get(Waiting, offer.waiting_id)
            username, language = session.execute(select(User.username, User.language)
                                                 .where(User.id == offer.user_id)).one()
            result = Answered(offer.id, username, entry.call_sid, offer.queue, offer.room,
                              language)
            record = entry.record
            if entry.kind == "callback":  # agent first: on their answer, dial the customer
                rules = self.queues().queue(entry.queue).callback
                result = replace(result, room=None, dial=entry.number,
                                 caller_id=rules.caller_id or entry.dialed,
                                 ticket_id=entry.ticket_id)
            if entry.kind == "transfer":  # the customer holds in their room already
                result = replace(result, room=entry.room, call_sid=entry.leg, transfer=True)
            if offer.status == "answered":  # Twilio asked twice: same answer, no second bridge
                return result
            offer.status, offer.answered_at = "answered", now
            agent_states.move(session, offer.user_id, ("reserved",), "on_call", now)
            entry.status = "connected"
        if result.dial:
            return result
        if self.on_answer is not None and result.call_sid:
            self.on_answer(result, agent_leg)
        if result.transfer:
            return result
        if result.call_sid and self.carrier.bridge(result.call_sid, offer_id):
            if record:
                result = replace(result, recording_sid=self._record(result.call_sid))
                if result.recording_sid and self.on_recorded is not None:
                    self.on_recorded(result.room, result.recording_sid)
            return result
        with self.db.session() as session:  # hung up a moment ago: nobody to talk to
            session.execute(update(Offer).where(Offer.id == offer_id)
                            .values(status="gone", ended_at=now, answered_at=None))
            agent_states.move(session, _user_of(session, offer_id), ("on_call",), "available",
                              now)
            session.execute(update(Waiting).where(Waiting.call_sid == result.call_sid,
                                                  Waiting.status == "connected")
                            .values(status="ended", ended_at=now, ended_reason="hangup"))
        return Answered(offer_id, username, result.call_sid, result.queue, None, language)

    def callback_result(self, offer_id: int, status: str) -> bool:
        """How dialing the customer went for a call-back (noted, retried later if not reached).
        True when reached."""
        with self.db.session() as session:
            callbacks.attempted(session, offer_id, status, self.queues(), self.clock())
        return status == "completed"

    def _record(self, call_sid: str) -> str | None:
        """Record the caller's leg on two channels (caller, and the agent they hear)."""
        try:
            return self.carrier.record(call_sid)
        except Exception:  # noqa: BLE001 -- the conversation goes ahead unrecorded, and says so
            log.exception("the conversation could not be recorded", extra={"call": call_sid})
            return None

    def room_for(self, offer_id: int, call_sid: str) -> str | None:
        """The room of an answered offer, if it is this caller's."""
        with self.db.session() as session:
            offer = session.get(Offer, offer_id)
            entry = session.get(Waiting, offer.waiting_id) if offer else None
            if entry is None or entry.call_sid != call_sid or offer.status != "answered":
                return None
            return offer.room

    def leg_ended(self, offer_id: int, status: str, now: dt.datetime | None = None) -> None:
        """The agent's leg is over: a missed offer goes to the next agent, a call to wrap-up."""
        now = now or self.clock()
        with self.db.session() as session:
            offer = session.get(Offer, offer_id)
            if offer is None:
                return
            if offer.status == "ringing":
                self._missed(session, offer, status, now)
            elif offer.status == "answered":
                wrap_up = self._finished(session, offer, now)
                if wrap_up:
                    self.kick_at(wrap_up)
        self.kick()

    def _missed(self, session, offer: Offer, status: str, now: dt.datetime) -> None:
        outcome = "missed" if status in MISSED else "failed" if status == "carrier-down" \
            else "canceled"
        offer.status, offer.ended_at = outcome, now
        queueing.requeue(session, offer.waiting_id)
        if status in MISSED:  # not at the desk: no more offers until they come back
            agent_states.move(session, offer.user_id, ("reserved",), "break", now, "missed")
        else:
            agent_states.move(session, offer.user_id, ("reserved",), "available", now)

    def _finished(self, session, offer: Offer, now: dt.datetime) -> int:
        wrap_up = self.queues().queue(offer.queue).wrap_up
        offer.status, offer.ended_at = "ended", now
        offer.wrap_up_until = now + dt.timedelta(seconds=wrap_up)
        entry = session.get(Waiting, offer.waiting_id)
        if entry.status == "connected":    # a call-back not reached is waiting for its retry
            entry.status, entry.ended_at, entry.ended_reason = "ended", now, "served"
        agent_states.start_wrap_up(session, offer.user_id, ("on_call",), now, wrap_up)
        return wrap_up

    def call_ended(self, call_sid: str, reason: str) -> None:
        """The caller's call is over (or they left the queue): give back what rings for them."""
        with self.db.session() as session:
            queueing.leave(session, call_sid, reason, self.clock())

    def canceled(self, leg: str | None) -> None:
        if leg:
            try:
                self.carrier.hang_up(leg, ringing=True)
            except Exception:  # noqa: BLE001 -- it stops on its own at the ring timeout
                log.exception("could not stop an agent's ringing leg")

    # ---- the safety net --------------------------------------------------------------------

    def _end_wrap_ups(self, session, now: dt.datetime) -> None:
        agent_states.end_wrap_ups(session, now)

    def _give_up_lost(self, session, now: dt.datetime) -> None:
        config = self.queues()
        for offer in session.scalars(select(Offer).where(Offer.status == "ringing")):
            limit = config.queue(offer.queue).ring_timeout + LOST_AFTER
            if offer.created_at <= now - dt.timedelta(seconds=limit):
                log.warning("offer never reported by the carrier: missed", extra={
                    "offer": offer.id})
                self._missed(session, offer, "no-answer", now)


def _user_of(session, offer_id: int) -> int:
    return session.scalar(select(Offer.user_id).where(Offer.id == offer_id))


def _caller(session, call_sid: str | None) -> dict:
    state = session.scalar(select(Call.state).where(Call.call_sid == call_sid)) if call_sid else None
    return (state or {}).get("caller", {})

