"""Assign tickets as they are filed, whichever channel files them, by listening to events.

crm_link announces `TicketFiled` when a contact opens a ticket (email, chat, voicemail, a
call-back booking...) and `TicketUpdated` when one is solved, closed or loses its assignee;
the accounts announce agents' presence and account changes; the desk itself announces moves.
After each of those commits, this module assigns the new ticket, or sweeps the waiting ones
when capacity may have freed (`assign_waiting`), in a transaction of its own: a failing
assignment is logged and the contact stays filed, unassigned, until the next sweep.
No Flask here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from core.accounts import AccountChanged
from core.agent_states import AgentPresenceChanged
from core.db import Database
from core.runtime import Runtime
from crm_link.events import TicketFiled, TicketUpdated
from desk.assignment import Assignment, assign_ticket, assign_waiting
from desk.assignment_rules import RulesFile
from desk.events import TicketAssignmentChanged

log = logging.getLogger("desk.assignment")


class AutoAssign:
    """The rules in FLOWS_DIR applied to one database, on the events that concern them."""

    def __init__(self, rules: RulesFile, db: Database, clock: Callable):
        self.rules = rules
        self.db = db
        self.clock = clock

    def ticket_filed(self, event: TicketFiled) -> None:
        self._run(lambda session: [assign_ticket(session, event.ticket_id, self.rules.current(),
                                                 self.clock())], [event.ticket_id])

    def ticket_updated(self, event: TicketUpdated) -> None:
        if event.left_open or event.lost_assignee:
            self.sweep()

    def moved(self, event: TicketAssignmentChanged) -> None:
        if event.change in ("released", "reassigned"):
            self.sweep()

    def agent_changed(self, _event: AccountChanged | AgentPresenceChanged) -> None:
        self.sweep()

    def sweep(self) -> list[Assignment]:
        """Assign waiting tickets while their teams have capacity."""
        return self._run(lambda session: assign_waiting(session, self.rules.current(),
                                                        self.clock()), [])

    def _run(self, work, tickets: list[int]) -> list[Assignment]:
        try:
            with self.db.session() as session:
                return work(session)
        except Exception:  # noqa: BLE001 -- the contact must stay filed even if assignment fails
            log.exception("ticket assignment failed; the tickets stay unassigned",
                          extra={"tickets": tickets})
            return []


def subscribe(rt: Runtime) -> AutoAssign:
    """Assign tickets filed through this process, with the rules in its FLOWS_DIR."""
    auto = AutoAssign(RulesFile(rt.settings.telephony.flows_dir), rt.db, lambda: rt.clock())
    rt.bus.subscribe(TicketFiled, auto.ticket_filed)
    rt.bus.subscribe(TicketUpdated, auto.ticket_updated)
    rt.bus.subscribe(TicketAssignmentChanged, auto.moved)
    rt.bus.subscribe(AccountChanged, auto.agent_changed)
    rt.bus.subscribe(AgentPresenceChanged, auto.agent_changed)
    rt.service(AutoAssign, lambda: auto)
    return auto


def sweep(rt: Runtime) -> list[Assignment]:
    """Assign waiting tickets now (a worker's periodic sweep, `ivr assignment sweep`)."""
    return rt.service(AutoAssign, lambda: AutoAssign(
        RulesFile(rt.settings.telephony.flows_dir), rt.db, lambda: rt.clock())).sweep()
