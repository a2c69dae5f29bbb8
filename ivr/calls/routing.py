"""Which agents a queue call is offered to: available agents serving that queue, with a phone.

An agent's phone is their `dial` setting (`client:NAME`, `sip:…` or an E.164 number), else
their Twilio Client identity when the username is one Twilio accepts (letters, digits, _).
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from core.accounts import list_agents

CLIENT_IDENTITY = re.compile(r"^[A-Za-z0-9_]{1,121}$")
MAX_RINGING = 10  # Twilio rings at most ten nouns of one <Dial> at once


def free_agents(session: Session, queue: str) -> list[tuple[str, str]]:
    """(username, dial target) of every available agent of the queue, up to Twilio's limit."""
    offers = []
    for agent in list_agents(session, queue, presence="available"):
        target = agent.dial or (f"client:{agent.username}"
                                if CLIENT_IDENTITY.match(agent.username) else None)
        if target:
            offers.append((agent.username, target))
    return offers[:MAX_RINGING]
