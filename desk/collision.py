"""Who is viewing and who is replying to a ticket, in Redis keys that expire, so no reply is doubled.

Each ticket has two sorted sets, `viewing` and `replying`: member = username, score = when the
mark runs out. Browsers refresh their marks (heartbeats); a closed or crashed tab's mark lapses
after the TTL even if its goodbye never arrives. Each set key carries the TTL too, so an idle
ticket leaves nothing behind. Changes are announced on the live channel. No Flask.
"""

from __future__ import annotations

import time

import redis

from core.events import Events

VIEWING_TTL_SECONDS = 30     # browsers refresh every 10 s
REPLYING_TTL_SECONDS = 20    # refreshed while the agent types; a pause this long ends it
STATES = {"viewing": ("ticket.viewing", VIEWING_TTL_SECONDS),
          "replying": ("ticket.replying", REPLYING_TTL_SECONDS)}


class TicketPresence:
    """Viewing/replying marks of tickets on one Redis, announced through `events`."""

    def __init__(self, client: redis.Redis, events: Events, clock=time.time):
        self.client = client
        self.events = events
        self.clock = clock
        db = client.connection_pool.connection_kwargs.get("db", 0)
        self.prefix = f"desk:{db}:ticket"

    def key(self, state: str, ticket_id: int) -> str:
        return f"{self.prefix}:{ticket_id}:{state}"

    def who(self, state: str, ticket_id: int) -> list[str]:
        """Usernames whose mark has not run out, in name order."""
        now = self.clock()
        key = self.key(state, ticket_id)
        self.client.zremrangebyscore(key, "-inf", now)
        return sorted(m.decode() for m in self.client.zrangebyscore(key, now, "+inf"))

    def mark(self, state: str, ticket_id: int, username: str) -> list[str]:
        """Set or refresh `username`'s mark; announce the new list when it changed."""
        kind, ttl = STATES[state]
        before = self.who(state, ticket_id)
        key = self.key(state, ticket_id)
        with self.client.pipeline() as pipe:
            pipe.zadd(key, {username: self.clock() + ttl})
            pipe.expire(key, ttl)
            pipe.execute()
        after = sorted({*before, username})
        if after != before:
            self._announce(kind, ticket_id, state, after)
        return after

    def clear(self, state: str, ticket_id: int, username: str) -> list[str]:
        """Remove `username`'s mark; announce when it was there."""
        kind, _ = STATES[state]
        removed = self.client.zrem(self.key(state, ticket_id), username)
        after = self.who(state, ticket_id)
        if removed:
            self._announce(kind, ticket_id, state, after)
        return after

    def leave(self, ticket_id: int, username: str) -> None:
        """The agent closed the ticket page: neither viewing nor replying any more."""
        self.clear("replying", ticket_id, username)
        self.clear("viewing", ticket_id, username)

    def others_replying(self, ticket_id: int, username: str) -> list[str]:
        return [u for u in self.who("replying", ticket_id) if u != username]

    def _announce(self, kind: str, ticket_id: int, state: str, users: list[str]) -> None:
        self.events.publish(kind, ticket_id=ticket_id, **{state: users})


class ReplyCollision(Exception):
    """Someone else is replying; sending needs an explicit confirmation."""

    def __init__(self, ticket_id: int, others: list[str]):
        self.others = others
        names = ", ".join(others)
        super().__init__(f"{names} {'is' if len(others) == 1 else 'are'} replying to ticket "
                         f"#{ticket_id} right now; your reply was not sent. Read their reply "
                         f"first, or send again with confirm to send anyway.")
