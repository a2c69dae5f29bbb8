"""Live events (screen-pops, dashboards) fanned out through Redis pub/sub to every web process.

Publishing is best effort: a call is answered whether or not Redis is up, so a failure to
publish is logged and the call goes on. Subscribers get JSON events:
`{"kind": "call.arrived", "at": ISO time, ...}`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator

import redis

log = logging.getLogger("core.events")

CHANNEL = "ivr:events"  # suffixed with the Redis database number: deployments sharing one
                        # Redis on different databases must not see each other's calls
KINDS = ("call.arrived", "call.queued", "call.offered", "call.answered", "call.ended",
         "voicemail.new", "recording.transcribed", "ticket.changed", "agent.presence",
         "ticket.viewing", "ticket.replying")


def event(kind: str, **data) -> dict:
    """An event stamped now; unknown kinds are a programming error, refused at once."""
    if kind not in KINDS:
        raise ValueError(f"Unknown event kind {kind!r}; known kinds: {', '.join(KINDS)}.")
    return {"kind": kind, "at": dt.datetime.now(dt.UTC).isoformat(), **data}


class Events:
    """Publish to, and listen on, the event channel of one Redis."""

    def __init__(self, client: redis.Redis | None):
        self.client = client
        db = client.connection_pool.connection_kwargs.get("db", 0) if client is not None else 0
        self.channel = f"{CHANNEL}:{db}"

    def publish(self, kind: str, **data) -> bool:
        return self.send(event(kind, **data))

    def send(self, message: dict) -> bool:
        """Publish one event built by `event`; False (and a warning) when Redis is unreachable."""
        if self.client is None:
            return False
        try:
            self.client.publish(self.channel, json.dumps(message, ensure_ascii=False,
                                                         default=str))
            return True
        except redis.RedisError as exc:  # the caller is served anyway; dashboards catch up
            log.warning("event not published", extra={"kind": message["kind"],
                                                       "error": str(exc)})
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


class BackgroundEvents:
    """Publishes from one thread per process, so a webhook never waits on Redis, nor on its
    timeout when Redis hangs. Events keep their order; beyond `capacity` waiting ones (Redis
    gone for long) new events are dropped with a warning rather than growing memory."""

    def __init__(self, events: Callable[[], Events], capacity: int = 10_000):
        self.events = events
        self.capacity = capacity
        self._queue: queue.Queue[dict] = queue.Queue(maxsize=capacity)
        self._lock = threading.Lock()
        self._pid = 0  # the thread belongs to one process; a forked child starts its own

    def publish(self, kind: str, **data) -> None:
        message = event(kind, **data)
        self._start()
        try:
            self._queue.put_nowait(message)
        except queue.Full:
            log.warning("event dropped: too many waiting", extra={"kind": kind,
                                                                  "waiting": self.capacity})

    def drain(self, timeout: float = 2.0) -> bool:
        """Wait until every event handed over so far has been sent (or given up on)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.005)
        return not self._queue.unfinished_tasks

    def _start(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                self._queue = queue.Queue(maxsize=self.capacity)
                threading.Thread(target=self._run, args=(self._queue,), name="ivr-events",
                                 daemon=True).start()
                self._pid = os.getpid()

    def _run(self, waiting: queue.Queue) -> None:
        while True:
            message = waiting.get()
            try:
                self.events().send(message)
            except Exception:  # noqa: BLE001 -- this thread must outlive any one bad event
                log.exception("event not published", extra={"kind": message.get("kind")})
            finally:
                waiting.task_done()
