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
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from core.db import Database
from core.events import Event
from core.settings import Settings
from crm_link.customers import caller_profile
from ivr.calls.effects import live_events, needs_transaction, outcome_fields, turn_events
from ivr.calls.ports import Arrival, Offers, QueueWait, Renderer
from ivr.calls.routing import free_agents
from ivr.calls.rows import CallFacts, claim_turn, insert_call, last_twiml, load_call
from ivr.events import CallArrived
from ivr.flows import engine
from ivr.flows.actions import RecordMessage, ToQueue, Turn
from ivr.flows.errors import FlowRuntimeError
from ivr.flows.model import Connect, Flow, Voicemail
from ivr.flows.phrases import phrase
from ivr.flows.prompts import speak
from ivr.flows.state import CallState, World
from ivr.flows.state import Event as Answer
from ivr.flowstore import FlowRegistry
from ivr.line_numbers import line_region, spoken_number, typed_number

log = logging.getLogger("ivr.calls")

AgentsFor = Callable[[Session, str], Sequence[tuple[str, str]]]


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
                 clock: Callable[[], dt.datetime], agents: AgentsFor = free_agents):
        self.settings = settings
        self.registry = registry
        self.renderer = renderer
        self.clock = clock
        self.agents = agents

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
            response, offers = self._render(conn, turn, 1)
            now = self.clock()
            facts = CallFacts(id=0, call_sid=sid, turn=1, state=turn.state.to_dict(),
                              flow_name=turn.state.flow, flow_revision=turn.state.revision,
                              caller_phone=caller.get("phone"),
                              customer_id=caller.get("customer_id"))
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
        return Reply(response, [arrived, *live_events(facts, turn, offers)])

    def step(self, db: Database, call_id: str, turn_no: int, answer: Answer) -> Reply:
        """The caller answered turn `turn_no` (gather, dial, queue or record)."""
        with db.autocommit() as conn:
            call = load_call(conn, call_id)
            if call is None:
                raise FlowRuntimeError(f"Call {call_id} is unknown; its first webhook never "
                                       "reached us.")
            if turn_no != call.turn:
                log.info("duplicate webhook replayed", extra={"turn": turn_no,
                                                              "current": call.turn})
                return Reply(last_twiml(conn, call.call_sid))
            flow = self._flow_of(call.flow_name, call.flow_revision)
            state = CallState.from_dict(call.state)
            turn = engine.advance(flow, state, answer, self._world(flow))
            return self._commit_turn(db, conn, call, turn)

    def queue_wait(self, db: Database, wait: QueueWait) -> Reply:
        """Asked again and again while the caller is in a queue: position, then music."""
        with db.autocommit() as conn:
            call = load_call(conn, wait.call_id)
        state = CallState.from_dict(call.state) if call else None
        flow = self._flow_of(call.flow_name, call.flow_revision) if call else None
        step = flow.steps.get(state.step or "") if flow and state else None
        connect = getattr(step, "action", None)
        if not isinstance(connect, Connect) or wait.waited >= connect.max_wait:
            return Reply(self.renderer.leave_queue())
        announcement = None
        if wait.position > 0:
            announcement = speak(flow, replace(state, vars={"position": str(wait.position)}),
                                 phrase("queue_position"))
        return Reply(self.renderer.waiting(announcement, connect.hold_music))

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
        response, offers = self._render(conn, turn, call.turn + 1)
        now = self.clock()
        row = {"state": turn.state.to_dict(), "last_twiml": response,
               "flow_name": turn.state.flow, "flow_revision": turn.state.revision,
               "updated_at": now}
        if not self._store(db, conn, call, turn, now,
                           lambda writer, fields: claim_turn(writer, call, {**row, **fields})):
            return Reply(last_twiml(conn, call.call_sid))  # another process answered first
        return Reply(response, live_events(call, turn, offers))

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

    def _render(self, conn: Connection, turn: Turn, answer_turn: int) -> tuple[str, Offers]:
        """The reply whose callbacks carry `answer_turn`, and which agents each queue rings."""
        offers: dict[str, list[tuple[str, str]]] = {}
        wanted = [verb.name for verb in turn.verbs if isinstance(verb, ToQueue)
                  and verb.offer_agents]
        if wanted:
            with Session(bind=conn) as session:
                offers = {queue: list(self.agents(session, queue)) for queue in wanted}
        return self.renderer.turn(turn.verbs, answer_turn, offers), offers

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
