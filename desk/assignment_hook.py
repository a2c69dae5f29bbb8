"""Assign tickets as they are filed, whichever channel files them, without crm_link knowing the desk.

Tickets are created deep inside crm_link (`threads._new`, reached from the JSON API for email
and chat, from voicemail callbacks and from call-back bookings); crm_link must not import the
desk. So the desk watches the sessions of a process instead: `install(runtime)` adds SQLAlchemy
session listeners to `runtime.db.sessions` that

* note every new unassigned Ticket flushed, and every change that frees capacity (a ticket
  solved, closed or moved, an agent's presence, cap, queues or account changed, a new user);
* just before that transaction commits, assign the new tickets and, when capacity was freed,
  sweep the waiting ones (`assign_waiting`), inside a savepoint: a failing assignment is logged
  and the contact is still filed, unassigned;
* after the commit, publish one `ticket.changed` event per assignment.

`create_app` installs it for each web process; a worker or script that files contacts calls
`install(runtime)` once. No Flask here.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, sessionmaker

from core.accounts import User
from core.events import Events
from crm_link.models import OPEN_STATUSES, Ticket
from desk.assignment import CHANGES, assign_ticket, assign_waiting
from desk.assignment_rules import RulesFile

log = logging.getLogger("desk.assignment")

NEW, SWEEP, BUSY = "desk.assignment.new", "desk.assignment.sweep", "desk.assignment.busy"
USER_FIELDS = ("presence", "max_open_tickets", "active", "queues", "role")


@dataclass
class Hook:
    """What the listeners of one session factory use: the rules, the clock, the event channel."""

    rules: RulesFile
    clock: Callable
    events: Callable[[], Events | None]


class _Slot:
    """The listeners registered on one sessionmaker; `hook` can be swapped without re-listening."""

    def __init__(self, hook: Hook):
        self.hook = hook

    def before_flush(self, session: Session, _context, _instances) -> None:
        if session.info.get(BUSY):
            return
        for obj in session.new:
            if isinstance(obj, Ticket) and obj.assignee_id is None:
                session.info.setdefault(NEW, []).append(obj)
            elif isinstance(obj, User):
                session.info[SWEEP] = True
        for obj in session.dirty:
            if _frees_capacity(obj):
                session.info[SWEEP] = True

    def before_commit(self, session: Session) -> None:
        if session.info.get(BUSY):
            return
        session.flush()  # the commit would flush anyway; this notes changes not yet flushed
        if not (session.info.get(NEW) or session.info.get(SWEEP)):
            return
        tickets = [t for t in session.info.pop(NEW, []) if inspect(t).persistent]
        sweep = session.info.pop(SWEEP, False)
        session.info[BUSY] = True
        published = len(session.info.get(CHANGES, []))
        try:
            with session.begin_nested():
                rules, now = self.hook.rules.current(), self.hook.clock()
                for ticket in tickets:
                    assign_ticket(session, ticket.id, rules, now)
                if sweep:
                    assign_waiting(session, rules, now)
        except Exception:  # noqa: BLE001 -- the contact must be filed even if assignment fails
            log.exception("ticket assignment failed; the tickets stay unassigned",
                          extra={"tickets": [t.id for t in tickets]})
            del session.info.get(CHANGES, [])[published:]
        finally:
            session.info.pop(BUSY, None)

    def after_commit(self, session: Session) -> None:
        changes = session.info.pop(CHANGES, [])
        if not changes:
            return
        events = self.hook.events()
        for change in changes:
            if events is not None:
                events.publish("ticket.changed", **change)

    def after_soft_rollback(self, session: Session, previous) -> None:
        if not previous.nested and not session.info.get(BUSY):
            for key in (NEW, SWEEP, CHANGES):
                session.info.pop(key, None)


def _frees_capacity(obj) -> bool:
    """True when a flushed change may let a waiting ticket be assigned."""
    state = inspect(obj)
    if isinstance(obj, Ticket):
        status, assignee = state.attrs.status.history, state.attrs.assignee_id.history
        left_open = any(s in OPEN_STATUSES for s in status.deleted or ()) and not any(
            s in OPEN_STATUSES for s in status.added or ())
        return left_open or any(a is not None for a in assignee.deleted or ())
    if isinstance(obj, User):
        return any(state.attrs[name].history.has_changes() for name in USER_FIELDS)
    return False


_SLOTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
EVENTS = ("before_flush", "before_commit", "after_commit", "after_soft_rollback")


def install_on(sessions: sessionmaker, hook: Hook) -> Hook:
    """Watch every session `sessions` makes; installing again just replaces the hook."""
    slot = _SLOTS.get(sessions)
    if slot is None:
        slot = _SLOTS[sessions] = _Slot(hook)
        for name in EVENTS:
            event.listen(sessions, name, getattr(slot, name))
    slot.hook = hook
    return hook


def install(runtime) -> Hook:
    """Assign tickets filed through `runtime.db`, with the rules in its FLOWS_DIR."""
    hook = Hook(RulesFile(runtime.settings.flows_dir), runtime.clock, lambda: runtime.events)
    return install_on(runtime.db.sessions, hook)


def installed(sessions: sessionmaker) -> Hook | None:
    slot = _SLOTS.get(sessions)
    return slot.hook if slot is not None else None


def uninstall(sessions: sessionmaker) -> None:
    """Stop watching `sessions` (tests; a process normally keeps the hook for its lifetime)."""
    slot = _SLOTS.pop(sessions, None)
    if slot is not None:
        for name in EVENTS:
            event.remove(sessions, name, getattr(slot, name))


def sweep(runtime) -> list:
    """Assign waiting tickets now (for a worker's periodic sweeper); events go out on commit."""
    hook = installed(runtime.db.sessions) or install(runtime)
    with runtime.db.session() as session:
        done = assign_waiting(session, hook.rules.current(), hook.clock())
    return done
