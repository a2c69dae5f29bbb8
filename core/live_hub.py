"""One subscription to the live channel per process, fanned out to every stream it serves.

A desk tab or the wall holds an event stream for hours. Giving each its own Redis
connection would cap a process at the pool's size and cost Redis a client per tab; instead one
reader per process subscribes once and copies each message into the queue of every open
stream. With the evented web workers a stream is then a parked greenlet and a queue: cheap
enough for thousands per process.

If Redis goes away the reader reconnects every second; open streams stay open (they keep
sending keep-alives) and miss what was published meanwhile, as pub/sub always would.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import weakref
from collections.abc import Callable, Iterator

import redis

from core.events import Events

log = logging.getLogger("core.live")
BACKLOG = 1000          # messages a slow stream may fall behind before it loses the oldest


class LiveHub:
    """The process's reader of the live channel and the streams it feeds."""

    def __init__(self, client: Callable[[], redis.Redis | None]):
        self._client = client
        self._streams: set[queue.Queue] = set()
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    def open(self, wait: float = 2.0) -> Subscription:
        """A new stream's subscription, live once this returns (RedisError if it cannot be)."""
        self._start()
        if not self._subscribed.wait(wait):
            raise redis.ConnectionError("The live channel is not reachable (Redis).")
        inbox: queue.Queue = queue.Queue(maxsize=BACKLOG)
        with self._lock:
            self._streams.add(inbox)
        return Subscription(self, inbox)

    def streams(self) -> int:
        with self._lock:
            return len(self._streams)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3)

    def _drop(self, inbox: queue.Queue) -> None:
        with self._lock:
            self._streams.discard(inbox)

    def _start(self) -> None:
        with self._lock:
            alive = self._thread is not None and self._thread.is_alive()
            if alive and self._pid == os.getpid():
                return
            self._pid, self._stop = os.getpid(), threading.Event()
            self._subscribed.clear()
            self._thread = threading.Thread(target=self._read, name="live-hub", daemon=True)
            self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                self._follow()
            except (redis.RedisError, OSError) as exc:
                self._subscribed.clear()
                log.warning("live channel lost; reconnecting", extra={"error": str(exc)})
                self._stop.wait(1.0)

    def _follow(self) -> None:
        client = self._client()
        if client is None:
            raise redis.ConnectionError("No Redis configured for live events.")
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(Events(client).channel)
            pubsub.get_message(timeout=1.0)      # the confirmation: listening from here on
            self._subscribed.set()
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=1.0)
                if message is not None:
                    self._fan_out(json.loads(message["data"]))
        finally:
            pubsub.close()

    def _fan_out(self, event: dict) -> None:
        with self._lock:
            inboxes = list(self._streams)
        for inbox in inboxes:
            try:
                inbox.put_nowait(event)
            except queue.Full:  # a stream that stopped reading: keep the newest
                try:
                    inbox.get_nowait()
                    inbox.put_nowait(event)
                except (queue.Empty, queue.Full):
                    pass


class Subscription:
    """One stream's share of the live channel."""

    def __init__(self, hub: LiveHub, inbox: queue.Queue):
        self.hub, self.inbox = hub, inbox
        weakref.finalize(self, hub._drop, inbox)   # a stream never read still lets go

    def listen(self, timeout: float = 15.0) -> Iterator[dict | None]:
        """Events as they come; None every `timeout` seconds of silence (for keep-alives)."""
        try:
            while True:
                try:
                    yield self.inbox.get(timeout=timeout)
                except queue.Empty:
                    yield None
        finally:
            self.hub._drop(self.inbox)
