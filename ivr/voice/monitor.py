"""Supervisors in agents' calls: listen (muted), whisper (only the agent hears them) and barge
(everyone does). The supervisor's own browser joins the room; every start, change and end is
written to the audit log in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.accounts import User
from ivr.identity import agent_for
from ivr.voice.control import ControlRefused
from ivr.voice.models import MODES, AgentCall, Monitoring


@dataclass(frozen=True)
class Joining:
    """The supervisor's leg joins `room`: muted to listen, coaching `coach` to whisper."""

    room: str
    muted: bool
    coach: str | None


class Monitors:
    """VoiceService's monitoring (mixed in; uses its db, carrier, clock)."""

    def monitor_check(self, user_id: int, agent_call_id: int, mode: str) -> None:
        """May this user monitor that call this way (the desk asks before dialing)?"""
        with self.db.session() as session:
            self._watchable(session, session.get(User, user_id), agent_call_id, mode)

    def monitor_joined(self, identity: str, agent_call_id: int, mode: str,
                       leg: str) -> Joining:
        """The supervisor's browser called in to monitor (/twilio/client with `monitor`)."""
        now = self.clock()
        with self.db.session() as session:
            user = agent_for(session, identity)
            call = self._watchable(session, user, agent_call_id, mode)
            session.add(Monitoring(agent_call_id=call.id, supervisor_id=user.id, leg=leg,
                                   mode=mode, started_at=now))
            audit.record(session, user.username, f"monitor.{mode}", f"agent_call:{call.id}",
                         now, agent=self._username(session, call), leg=leg)
            return Joining(call.room, mode == "listen",
                           call.agent_call_sid if mode == "whisper" else None)

    def monitor_mode(self, user_id: int, mode: str) -> str:
        """Switch the supervisor's monitoring: listen, whisper or barge."""
        now = self.clock()
        with self.db.session() as session:
            watch = session.scalar(select(Monitoring).where(
                Monitoring.supervisor_id == user_id, Monitoring.ended_at.is_(None))
                .order_by(Monitoring.id.desc()).limit(1))
            if watch is None:
                raise ControlRefused("not_monitoring", "You are not monitoring a call.")
            call = self._watchable(session, session.get(User, user_id), watch.agent_call_id,
                                   mode)
            conference, leg, agent_leg = call.conference_sid, watch.leg, call.agent_call_sid
        values = {"Muted": "true" if mode == "listen" else "false",
                  "Coaching": "true" if mode == "whisper" else "false"}
        if mode == "whisper":
            values["CallSidToCoach"] = agent_leg
        self.carrier.monitor(conference, leg, **values)
        with self.db.session() as session:
            watch = session.scalar(select(Monitoring).where(Monitoring.leg == leg))
            watch.mode = mode
            user = session.get(User, user_id)
            audit.record(session, user.username, f"monitor.{mode}",
                         f"agent_call:{watch.agent_call_id}", now, leg=leg)
        return mode

    def _watchable(self, session: Session, user: User | None, agent_call_id: int,
                   mode: str) -> AgentCall:
        if user is None or not user.active or not user.has_role("supervisor"):
            raise ControlRefused("not_supervisor", "Only supervisors may monitor calls.")
        if mode not in MODES:
            raise ControlRefused("bad_mode", f"Monitoring {mode!r} is not one of "
                                 f"{', '.join(MODES)}.")
        call = session.get(AgentCall, agent_call_id)
        if call is None or call.status != "connected" or call.conference_sid is None:
            raise ControlRefused("not_live", f"Agent call #{agent_call_id} is not in progress.")
        if call.user_id == user.id:
            raise ControlRefused("own_call", "That is your own call.")
        return call


def monitor_left(session: Session, leg: str, now) -> None:
    """A supervisor's leg left the room: monitoring over (audited)."""
    watch = session.scalar(select(Monitoring).where(Monitoring.leg == leg,
                                                    Monitoring.ended_at.is_(None)))
    if watch is None:
        return
    watch.ended_at = now
    username = session.scalar(select(User.username).where(User.id == watch.supervisor_id))
    audit.record(session, username, "monitor.end", f"agent_call:{watch.agent_call_id}", now,
                 leg=leg, seconds=int((now - watch.started_at).total_seconds()))
