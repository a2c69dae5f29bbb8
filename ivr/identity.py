"""Which browser a softphone call is for: an agent's Twilio Client identity, and back."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import User

PLAIN = re.compile(r"^[A-Za-z0-9_]{1,121}$")       # what Twilio accepts as a client name
BY_ID = re.compile(r"^agent_([0-9]{1,12})$")


def client_identity(user: User) -> str:
    """The username when Twilio accepts it as is, else `agent_<id>` (usernames with . @ -)."""
    return user.username if PLAIN.match(user.username) else f"agent_{user.id}"


def agent_for(session: Session, identity: str) -> User | None:
    """The active account a client identity belongs to (None: nobody we know)."""
    identity = identity.removeprefix("client:")
    user = session.scalar(select(User).where(User.username == identity.lower()))
    if user is None:
        match = BY_ID.match(identity)
        user = session.get(User, int(match.group(1))) if match else None
    if user is None or not user.active or client_identity(user) != identity:
        return None
    return user
