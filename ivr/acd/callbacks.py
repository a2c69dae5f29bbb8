"""Call-backs after the agent dialed the customer: reached, tried again later, or given up
after the queue's attempts; each try is noted on the call-back's ticket."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import User
from crm_link.tickets import add_system_note
from ivr.acd.config import QueueConfig
from ivr.acd.models import Offer, Waiting


def attempted(session: Session, offer_id: int, status: str, config: QueueConfig,
              now: dt.datetime) -> None:
    offer = session.get(Offer, offer_id)
    entry = session.get(Waiting, offer.waiting_id) if offer else None
    if entry is None or entry.kind != "callback" or entry.status != "connected":
        return  # a duplicate report, or not a call-back
    rules = config.queue(entry.queue).callback
    agent = session.scalar(select(User.username).where(User.id == offer.user_id))
    entry.attempts += 1
    if status == "completed":
        text = f"Call-back reached {entry.number} (agent {agent}, try {entry.attempts})."
    elif entry.attempts < rules.attempts:
        entry.status = "waiting"
        entry.not_before = now + dt.timedelta(seconds=rules.retry_after)
        text = (f"Call-back to {entry.number}: {status} (agent {agent}, try {entry.attempts} "
                f"of {rules.attempts}); trying again at {entry.not_before:%H:%M} UTC.")
    else:
        entry.status, entry.ended_at, entry.ended_reason = "ended", now, "unreached"
        text = (f"Call-back to {entry.number} given up: {status} on every one of "
                f"{rules.attempts} tries (last by agent {agent}).")
    if entry.ticket_id:
        add_system_note(session, entry.ticket_id, text, now, "ACD",
                        {"kind": "callback_attempt", "status": status,
                         "attempt": entry.attempts, "agent": agent})
