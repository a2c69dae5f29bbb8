"""Calls through flows: carrier reports in, the carrier's reply out, call state in the database.

Provider-neutral: the carrier adapter (ivr/twilio/) parses its webhooks into the reports of
ivr.calls.ports and renders the engine's verbs with its `Renderer`. No Flask.

Every answer the carrier will send back carries the turn number it answers. A request for the
current turn is processed once (an optimistic UPDATE ... WHERE turn = t); a duplicate or late
request gets the reply already given, so retries never double side effects. That one guarded
statement is atomic by itself, so webhooks run in autocommit (no BEGIN and COMMIT round trips);
a turn that also writes other tables (a call-back ticket) gets a transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from core.db import Database
from core.events import Event
from core.settings import Settings
from crm_link.customers import caller_profile
from ivr.acd import queueing
from ivr.acd.config import DEFAULTS, QueueConfig
from ivr.calls.effects import live_events, needs_transaction, outcome_fields, turn_events
from ivr.calls.ports import Arrival, QueueWait, Renderer
from ivr.calls.queue_wait import key_pressed, wait_answer
from ivr.calls.rows import CallFacts, claim_turn, insert_call, last_twiml, load_call
from ivr.events import CallArrived
from ivr.flows import engine
from ivr.flows.actions import RecordMessage, Turn
from ivr.flows.errors import FlowRuntimeError
from ivr.flows.model import Connect, Flow, Voicemail
from ivr.flows.phrases import phrase
from ivr.flows.prompts import speak
from ivr.flows.state import Bridged, CallState, QueueResult, World
from ivr.flows.state import Event as Answer
from ivr.flowstore import FlowRegistry
from ivr.line_numbers import line_region, spoken_number, typed_number

log = logging.getLogger("ivr.calls")

@dataclass
class Reply:
    """The carrier's reply, and the events to publish once it is stored."""

    body: str
    events: list[Event] = field(default_factory=list)


class _Answered(Exception):
    """This turn was answered already (a retry, or another process first): undo it."""


class CallService:
    """Runs calls for the carrier's webhooks; one per process."""

    def __init__(self, settings: Settings, registry: FlowRegistry, renderer: Renderer,
                 clock: Callable[[], dt.datetime],
                 queues: Callable[[], QueueConfig] = lambda: DEFAULTS):
        self.queues = queues
        self.settings = settings
        self.registry = registry
        self.renderer = renderer
        self.clock = clock

    def incoming(self, db: Database, arrival: Arrival) -> Reply:
        """A call arrives: look the caller up once, pick the flow by number, run it."""
        sid = arrival.call_id
        flow = self.registry.current().for_number(arrival.dialed)
        if flow is None:
            raise FlowRuntimeError(f"No flow claims number {arrival.dialed!r} and no flow "
                                   "is marked default: true.")
        with db.autocommit() as conn:
            caller = self._caller(conn, arrival.caller)
            turn = engine.start(flow, self._world(flow), caller)
            response = self.renderer.turn(turn.verbs, 1)
            now = self.clock()
            facts = CallFacts(id=0, call_sid=sid, turn=1, state=turn.state.to_dict(),
                              flow_name=turn.state.flow, flow_revision=turn.state.revision,
                              caller_phone=caller.get("phone"),
                              customer_id=caller.get("customer_id"),
                              to_number=arrival.dialed[:128])
            row = {"call_sid": sid, "from_number": arrival.caller[:128],
                   "to_number": arrival.dialed[:128], "caller_phone": facts.caller_phone,
                   "flow_name": facts.flow_name, "flow_revision": facts.flow_revision,
                   "state": facts.state, "turn": 1, "last_twiml": response, "started_at": now,
                   "status": arrival.status, "updated_at": now,
                   "customer_id": facts.customer_id}
            if not self._store(db, conn, facts, turn, now,
                               lambda writer, fields: insert_call(writer, {**row, **fields})):
                return Reply(last_twiml(conn, sid))  # the carrier retried the first request
        arrived = CallArrived(sid, arrival.caller, arrival.dialed, flow.name, caller)
        return Reply(response, [arrived, *live_events(facts, turn)])

    def step(self, db: Database, call_id: str, turn_no: int | None, answer: Answer) -> Reply:
        """The caller answered turn `turn_no` (gather, dial, queue or record; None: the
        current turn, for what the distributor starts)."""
        if isinstance(answer, QueueResult) and answer.result == "redirected":
            # We took the caller out of the queue ourselves (bridge): that reply is ignored.
            return Reply(self.renderer.nothing())
        with db.autocommit() as conn:
            call = load_call(conn, call_id)
            if call is None:
                raise FlowRuntimeError(f"Call {call_id} is unknown; its first webhook never "
                                       "reached us.")
            if turn_no is not None and turn_no != call.turn:
                log.info("duplicate webhook replayed", extra={"turn": turn_no,
                                                              "current": call.turn})
                return Reply(last_twiml(conn, call.call_sid))
            flow = self._flow_of(call.flow_name, call.flow_revision)
            state = CallState.from_dict(call.state)
            answer = self._callback_kept(conn, call_id, answer)
            turn = engine.advance(flow, state, answer, self._world(flow))
            return self._commit_turn(db, conn, call, turn)

    @staticmethod
    def _callback_kept(conn: Connection, call_id: str, answer: Answer) -> Answer:
        """Out of the queue after pressing the call-back key (or hung up right after): the
        flow hears "callback", and the call-back keeps their place."""
        if isinstance(answer, QueueResult) and answer.result in ("leave", "hangup"):
            with Session(bind=conn) as session:
                if queueing.status_of(session, call_id) == "callback":
                    return QueueResult("callback")
        return answer

    def bridged(self, db: Database, call_id: str, room: str) -> Reply:
        """The distributor's agent answered: the waiting caller joins them in `room`."""
        return self.step(db, call_id, None, Bridged(room))

    def queue_wait(self, db: Database, wait: QueueWait, turn: int) -> Reply:
        """Asked again and again while the caller is in a queue: place, estimate, music."""
        with db.autocommit() as conn:
            call = load_call(conn, wait.call_id)
            state = CallState.from_dict(call.state) if call else None
            flow = self._flow_of(call.flow_name, call.flow_revision) if call else None
            step = flow.steps.get(state.step or "") if flow and state else None
            connect = getattr(step, "action", None)
            if not isinstance(connect, Connect):
                return Reply(self.renderer.leave_queue())
            rules = self.queues().queue(connect.target)
            heard = wait_answer(conn, wait.call_id, flow, state, connect, rules, wait.waited)
        if heard.leave:
            return Reply(self.renderer.leave_queue())
        return Reply(self.renderer.waiting(heard.announcements, connect.hold_music, heard.key,
                                           turn))

    def queue_key(self, db: Database, call_id: str, digits: str, turn: int) -> Reply:
        """A key pressed while waiting: the call-back key takes the caller out of the line."""
        with db.autocommit() as conn:
            call = load_call(conn, call_id)
            flow = self._flow_of(call.flow_name, call.flow_revision) if call else None
            step = flow.steps.get(call.state.get("step") or "") if flow else None
            connect = getattr(step, "action", None)
            if isinstance(connect, Connect):
                key = self.queues().queue(connect.target).callback.key
                if key_pressed(conn, call_id, digits, key):
                    return Reply(self.renderer.leave_queue())
        return Reply(self.renderer.waiting((), getattr(connect, "hold_music", None), None,
                                           turn))

    def safe_reply(self, dialed: str) -> str:
        """After an internal failure: an apology, then the flow's on_error voicemail or hang-up."""
        flow = self.registry.current().for_number(dialed)
        if flow is None:
            return self.renderer.goodbye(None)
        state = CallState(flow=flow.name, revision=flow.revision, language=flow.language)
        target = flow.steps.get(flow.on_error or "")
        mailbox = target.action if target and isinstance(target.action, Voicemail) else None
        record = RecordMessage(mailbox.mailbox, 0, mailbox.max_length, mailbox.finish_key,
                               mailbox.silence_timeout) if mailbox else None
        return self.renderer.apology(speak(flow, state, phrase("apology")), record)

    # ---- helpers ---------------------------------------------------------------------------

    def _commit_turn(self, db: Database, conn: Connection, call: CallFacts,
                     turn: Turn) -> Reply:
        """Store state and events only if this turn is still the current one (one UPDATE)."""
        response = self.renderer.turn(turn.verbs, call.turn + 1)
        now = self.clock()
        row = {"state": turn.state.to_dict(), "last_twiml": response,
               "flow_name": turn.state.flow, "flow_revision": turn.state.revision,
               "updated_at": now}
        if not self._store(db, conn, call, turn, now,
                           lambda writer, fields: claim_turn(writer, call, {**row, **fields})):
            return Reply(last_twiml(conn, call.call_sid))  # another process answered first
        return Reply(response, live_events(call, turn))

    def _store(self, db: Database, conn: Connection, call: CallFacts, turn: Turn,
               now: dt.datetime, write: Callable[[Connection, dict], bool]) -> bool:
        """Write a turn's call row (`write` gets its events and outcome fields) with its other
        effects; False, with nothing of it kept, when the turn was answered already."""
        try:
            with self._writes(db, conn, turn) as (writer, session):
                events = turn_events(session, call, turn.effects, now, self.settings)
                if not write(writer, {"events": events,
                                      **outcome_fields(call, turn.effects, now, events)}):
                    raise _Answered  # undoes a transactional turn's other writes
        except _Answered:
            return False
        return True

    @staticmethod
    @contextmanager
    def _writes(db: Database, conn: Connection, turn: Turn):
        """Where a turn is written: by its one guarded statement on the autocommit connection it
        was read on, or in a transaction (all or nothing) when it also writes other tables."""
        if not needs_transaction(turn.effects):
            yield conn, None
            return
        with db.session() as session:
            yield session.connection(), session

    def _flow_of(self, name: str, revision: str) -> Flow:
        flow = self.registry.revision(name, revision)
        if flow is None:  # revision lost (archive down at load): finish on the current one
            flow = self.registry.current().flows.get(name)
            log.warning("flow revision unavailable; using current",
                        extra={"flow": name, "revision": revision})
        if flow is None:
            raise FlowRuntimeError(f"Flow {name!r} is no longer loaded.")
        return flow

    def _world(self, flow: Flow) -> World:
        region = line_region(flow.numbers, self.settings.default_region)
        return World(now=self.clock(), flows=self.registry.current().flows,
                     normalize_phone=lambda digits: typed_number(digits, region))

    def _caller(self, conn: Connection, raw_from: str) -> dict:
        with Session(bind=conn) as session:
            profile = caller_profile(session, raw_from, self.settings.default_region).to_dict()
        if profile.get("phone"):
            profile["phone_spoken"] = spoken_number(profile["phone"],
                                                    self.settings.default_region)
        return profile
