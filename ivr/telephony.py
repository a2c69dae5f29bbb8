"""Calls through flows: Twilio parameters in, TwiML out, call state in the database. No Flask.

Every answer Twilio will send back carries the turn number it answers (`t=` in its URL). A
request for the current turn is processed once (an optimistic UPDATE ... WHERE turn = t); a
duplicate or late request gets the TwiML already given, so retries never double side effects.
That one guarded statement is atomic by itself, so webhooks run in autocommit (no BEGIN and
COMMIT round trips); a turn that also writes other tables (a call-back ticket) gets a
transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from core.db import Database
from core.settings import Settings
from crm_link.customers import caller_profile
from ivr import twiml
from ivr.call_effects import finish_call, needs_transaction, outcome_fields, turn_events
from ivr.call_rows import CallFacts, claim_turn, insert_call, last_twiml, load_call
from ivr.flows import engine
from ivr.flows.actions import RecordMessage, Turn
from ivr.flows.errors import FlowRuntimeError
from ivr.flows.model import Connect, Flow, Voicemail
from ivr.flows.phrases import phrase
from ivr.flows.prompts import speak
from ivr.flows.state import CallState, DialResult, Input, QueueResult, Recorded, World
from ivr.flowstore import FlowRegistry
from ivr.line_numbers import line_region, spoken_number, typed_number
from ivr.models import Call
from ivr.routing import free_agents

log = logging.getLogger("ivr.calls")

MAX_DIGITS = 64
MAX_SPEECH = 500
AgentsFor = Callable[[Session, str], Sequence[tuple[str, str]]]


@dataclass
class Reply:
    """TwiML for Twilio, and the live events to publish once the transaction has committed."""

    twiml: str
    events: list[tuple[str, dict]] = field(default_factory=list)


class _Answered(Exception):
    """This turn was answered already (a retry, or another process first): undo it."""


class CallService:
    """Runs calls for the Twilio blueprint; one per process."""

    def __init__(self, settings: Settings, registry: FlowRegistry,
                 clock: Callable[[], dt.datetime], agents: AgentsFor = free_agents):
        self.settings = settings
        self.registry = registry
        self.clock = clock
        self.agents = agents
        self.urls = twiml.Urls(settings.public_base_url)

    # ---- webhooks ----------------------------------------------------------------------------

    def incoming(self, db: Database, params: Mapping[str, str]) -> Reply:
        """A call arrives: look the caller up once, pick the flow by number, run it."""
        sid = params["CallSid"]
        flow = self.registry.current().for_number(params.get("To", ""))
        if flow is None:
            raise FlowRuntimeError(f"No flow claims number {params.get('To')!r} and no flow "
                                   "is marked default: true.")
        with db.autocommit() as conn:
            caller = self._caller(conn, params.get("From", ""))
            turn = engine.start(flow, self._world(flow), caller)
            response, offered = self._render(conn, turn, 1)
            now = self.clock()
            facts = CallFacts(id=0, call_sid=sid, turn=1, state=turn.state.to_dict(),
                              flow_name=turn.state.flow, flow_revision=turn.state.revision,
                              caller_phone=caller.get("phone"),
                              customer_id=caller.get("customer_id"))
            row = {"call_sid": sid, "from_number": params.get("From", "")[:128],
                   "to_number": params.get("To", "")[:128], "caller_phone": facts.caller_phone,
                   "flow_name": facts.flow_name, "flow_revision": facts.flow_revision,
                   "state": facts.state, "turn": 1, "last_twiml": response, "started_at": now,
                   "status": params.get("CallStatus", "in-progress"), "updated_at": now,
                   "customer_id": facts.customer_id}
            if not self._store(db, conn, facts, turn, now,
                               lambda writer, fields: insert_call(writer, {**row, **fields})):
                return Reply(last_twiml(conn, sid))  # Twilio retried the first request
        arrived = ("call.arrived", {"call_sid": sid, "from": params.get("From", ""),
                                    "to": params.get("To", ""), "flow": flow.name,
                                    "caller": caller})
        return Reply(response, [arrived, *_live_events(facts, turn, offered)])

    def step(self, db: Database, params: Mapping[str, str], turn_no: int, on: str) -> Reply:
        """The caller answered turn `turn_no` (gather, dial, queue or record)."""
        with db.autocommit() as conn:
            call = load_call(conn, params["CallSid"])
            if call is None:
                raise FlowRuntimeError(f"Call {params['CallSid']} is unknown; its first webhook "
                                       "never reached us.")
            if turn_no != call.turn:
                log.info("duplicate webhook replayed", extra={"turn": turn_no,
                                                              "current": call.turn})
                return Reply(last_twiml(conn, call.call_sid))
            flow = self._flow_of(call.flow_name, call.flow_revision)
            state = CallState.from_dict(call.state)
            turn = engine.advance(flow, state, _event(on, params), self._world(flow))
            return self._commit_turn(db, conn, call, turn)

    def queue_wait(self, db: Database, params: Mapping[str, str], turn_no: int) -> str:
        """Twilio's wait URL, requested again and again while the caller is in a queue."""
        with db.autocommit() as conn:
            call = load_call(conn, params["CallSid"])
        state = CallState.from_dict(call.state) if call else None
        flow = self._flow_of(call.flow_name, call.flow_revision) if call else None
        step = flow.steps.get(state.step or "") if flow and state else None
        if not isinstance(getattr(step, "action", None), Connect):
            return twiml.leave_queue()
        connect: Connect = step.action
        waited = _int(params.get("QueueTime"))
        if waited >= connect.max_wait:
            return twiml.leave_queue()
        position = _int(params.get("QueuePosition"))
        announcement = None
        if position > 0:
            announcement = speak(flow, replace(state, vars={"position": str(position)}),
                                 phrase("queue_position"))
        return twiml.wait_music(announcement, connect.hold_music, self.urls)

    def status(self, session: Session, params: Mapping[str, str]) -> Reply:
        """Call status callback: record how and when the call ended (out-of-order safe)."""
        call = _call(session, params["CallSid"])
        if call is None:  # the call never reached a flow (e.g. we were down): keep the record
            call = Call(call_sid=params["CallSid"], from_number=params.get("From", "")[:128],
                        to_number=params.get("To", "")[:128], flow_name="", flow_revision="",
                        state={}, turn=0, started_at=self.clock())
            session.add(call)
        ended = call.ended_at is None
        finish_call(call, params, self.clock())
        if ended and call.ended_at is not None:
            return Reply("", [("call.ended", {"call_sid": call.call_sid, "outcome": call.outcome,
                                              "queue": call.queue, "agent": call.agent,
                                              "duration": call.duration})])
        return Reply("")

    def agent_answered(self, session: Session, params: Mapping[str, str], agent: str) -> Reply:
        """An offered agent picked up (the <Client>/<Number> status callback): pop their screen."""
        sid = params.get("ParentCallSid") or params["CallSid"]
        call = _call(session, sid)
        if call is None:
            return Reply("")
        now = self.clock()
        call.answered_at, call.agent, call.outcome = call.answered_at or now, agent, "agent"
        call.events = [*(call.events or []), {"at": now.isoformat(), "kind": "agent_answered",
                                              "agent": agent}]
        return Reply("", [("call.answered", {"call_sid": sid, "agent": agent,
                                             "queue": call.queue,
                                             "caller": (call.state or {}).get("caller", {})})])

    def safe_twiml(self, params: Mapping[str, str]) -> str:
        """After an internal failure: an apology, then the flow's on_error voicemail or hang-up."""
        flow = self.registry.current().for_number(params.get("To", ""))
        if flow is None:
            return twiml.goodbye(None)
        state = CallState(flow=flow.name, revision=flow.revision, language=flow.language)
        target = flow.steps.get(flow.on_error or "")
        mailbox = target.action if target and isinstance(target.action, Voicemail) else None
        record = RecordMessage(mailbox.mailbox, 0, mailbox.max_length, mailbox.finish_key,
                               mailbox.silence_timeout) if mailbox else None
        return twiml.apology(speak(flow, state, phrase("apology")), record, self.urls)

    # ---- helpers ---------------------------------------------------------------------------------

    def _commit_turn(self, db: Database, conn: Connection, call: CallFacts,
                     turn: Turn) -> Reply:
        """Store state and events only if this turn is still the current one (one UPDATE)."""
        response, offered = self._render(conn, turn, call.turn + 1)
        now = self.clock()
        row = {"state": turn.state.to_dict(), "last_twiml": response,
               "flow_name": turn.state.flow, "flow_revision": turn.state.revision,
               "updated_at": now}
        if not self._store(db, conn, call, turn, now,
                           lambda writer, fields: claim_turn(writer, call, {**row, **fields})):
            return Reply(last_twiml(conn, call.call_sid))  # another process answered first
        return Reply(response, _live_events(call, turn, offered))

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

    def _render(self, conn: Connection, turn: Turn,
                answer_turn: int) -> tuple[str, dict[str, list[str]]]:
        """TwiML whose callbacks carry `answer_turn`, and which agents each queue rings."""
        offered: dict[str, list[str]] = {}

        def agents(queue: str):
            with Session(bind=conn) as session:
                found = list(self.agents(session, queue))
            offered[queue] = [agent for agent, _ in found]
            return found

        return twiml.render(turn.verbs, answer_turn, self.urls, agents), offered

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


def _live_events(call: CallFacts, turn: Turn, offered: dict[str, list[str]]):
    """What dashboards and agents' screens hear about this turn."""
    caller = turn.state.caller
    events = [("call.queued", {"call_sid": call.call_sid, "queue": note.data["target"],
                               "caller": caller})
              for note in turn.effects
              if getattr(note, "kind", None) == "connect" and note.data.get("kind") == "queue"]
    events += [("call.offered", {"call_sid": call.call_sid, "queue": queue, "agents": agents,
                                 "caller": caller})
               for queue, agents in offered.items() if agents]
    return events


def _call(session: Session, sid: str) -> Call | None:
    return session.scalar(select(Call).where(Call.call_sid == sid))


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _event(on: str, params: Mapping[str, str]):
    """Twilio's parameters for an action URL, as the engine's caller input."""
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
        return Recorded(_int(params.get("RecordingDuration")), params.get("Digits", "")[:8])
    raise FlowRuntimeError(f"Unknown callback kind on={on!r}.")
