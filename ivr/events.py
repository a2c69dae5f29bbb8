"""Live events (screen-pops, dashboards) fanned out through Redis pub/sub to every web process.

Publishing is best effort: a call is answered whether or not Redis is up, so a failure to
publish is logged and the call goes on. Subscribers get JSON events:
`{"kind": "call.arrived", "at": ISO time, ...}`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator

import redis

log = logging.getLogger("ivr.events")

CHANNEL = "ivr:events"  # suffixed with the Redis database number: deployments sharing one
                        # Redis on different databases must not see each other's calls
KINDS = ("call.arrived", "call.queued", "call.offered", "call.answered", "call.ended",
         "voicemail.new", "recording.transcribed", "ticket.changed", "agent.presence",
         "ticket.viewing", "ticket.replying")


class Events:
    """Publish to, and listen on, the event channel of one Redis."""

    def __init__(self, client: redis.Redis | None):
        self.client = client
        db = client.connection_pool.connection_kwargs.get("db", 0) if client is not None else 0
        self.channel = f"{CHANNEL}:{db}"

    def publish(self, kind: str, **data) -> bool:
        if kind not in KINDS:
            raise ValueError(f"Unknown event kind {kind!r}; known kinds: {', '.join(KINDS)}.")
        event = {"kind": kind, "at": dt.datetime.now(dt.UTC).isoformat(), **data}
        if self.client is None:
            return False
        try:
            self.client.publish(self.channel, json.dumps(event, ensure_ascii=False, default=str))
            return True
        except redis.RedisError as exc:  # the caller is served anyway; dashboards catch up
            log.warning("event not published", extra={"kind": kind, "error": str(exc)})
            return False

    def listen(self, timeout: float = 15.0) -> Iterator[dict | None]:
        """Events as they come; None every `timeout` seconds of silence (for keep-alives)."""
        pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(self.channel)
        try:
            while True:
                message = pubsub.get_message(timeout=timeout)
                yield json.loads(message["data"]) if message else None
        finally:
            pubsub.close()
