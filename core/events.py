"""Typed domain events, the in-process bus that delivers them, and the live channel in Redis.

A feature declares its events as frozen dataclasses deriving from `Event` (ivr/events.py has
`CallArrived`, crm_link/events.py `TicketFiled`, ...). Services announce them:

* `emit(session, event)` inside a transaction: delivered once that transaction commits, dropped
  if it rolls back, so nobody hears of data that was never stored;
* `bus.publish(event)` when the write is already done (an autocommit webhook statement).

The bus calls every handler subscribed to the event's type (or a base of it), in the publishing
process, after the commit; a failing handler is logged and never undoes the write. Events whose
class says `live = True` also go to the live channel: JSON `{"kind", "at", ...}` on Redis
pub/sub, which every web process relays to desks and dashboards (Server-Sent Events).
Publishing to Redis is best effort: a call is answered whether or not Redis is up.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import queue
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from typing import ClassVar, TypeVar

import redis
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger("core.events")

CHANNEL = "ivr:events"  # suffixed with the Redis database number: deployments sharing one
                        # Redis on different databases must not see each other's calls
KINDS: set[str] = set()  # wire kinds of every live event class defined so far
PENDING = "core.events.pending"  # session.info key: events waiting for the commit
COMMITTED = "core.events.committed"  # ... committed, waiting for the connection's release
E = TypeVar("E", bound="Event")


@dataclasses.dataclass(frozen=True)
class Event:
    """Base of domain events: a frozen dataclass; `kind` names it on the live channel."""

    kind: ClassVar[str] = ""
    live: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.live:
            if not cls.kind:
                raise TypeError(f"Live event {cls.__name__} needs a kind such as 'call.arrived'.")
            KINDS.add(cls.kind)

    def data(self) -> dict:
        """The event's fields as the live channel carries them (shallow)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def wire(self) -> dict:
        return event(self.kind, **self.data())


def event(kind: str, **data) -> dict:
    """A live-channel message stamped now; unknown kinds are a programming error, refused."""
    if kind not in KINDS:
        raise ValueError(f"Unknown event kind {kind!r}; known kinds: {', '.join(sorted(KINDS))}.")
    return {"kind": kind, "at": dt.datetime.now(dt.UTC).isoformat(), **data}


# ---- the bus ----------------------------------------------------------------------------------

class EventBus:
    """Subscribers by event type, in this process; live events forwarded to `live`."""

    def __init__(self, live: Callable[[dict], None] | None = None):
        self.live = live
        self._handlers: dict[type, list[Callable]] = {}

    def subscribe(self, kind: type[E], handler: Callable[[E], None]) -> None:
        self._handlers.setdefault(kind, []).append(handler)

    def handlers(self, event_type: type) -> list[Callable]:
        return [h for base in event_type.__mro__ for h in self._handlers.get(base, ())]

    def publish(self, item: Event) -> None:
        """Deliver now: handlers first (each on its own), then the live channel."""
        for handler in self.handlers(type(item)):
            try:
                handler(item)
            except Exception:  # noqa: BLE001 -- the write is done; one handler must not stop others
                log.exception("event handler failed", extra={"event": type(item).__name__,
                                                             "handler": _name(handler)})
        if item.live and self.live is not None:
            self.live(item.wire())

    def bind(self, sessions: sessionmaker) -> None:
        """Deliver what the sessions of `sessions` emit, after each commit (one bus at a time)."""
        slot = _SLOTS.get(sessions)
        if slot is None:
            slot = _SLOTS[sessions] = _Slot()
            sa_event.listen(sessions, "after_commit", slot.after_commit)
            sa_event.listen(sessions, "after_soft_rollback", slot.after_soft_rollback)
            sa_event.listen(sessions, "after_transaction_end", slot.after_transaction_end)
        slot.bus = self


def emit(session: Session, item: Event) -> None:
    """Announce `item` once `session`'s transaction commits (nothing if it rolls back)."""
    session.info.setdefault(PENDING, []).append(item)


def unbind(sessions: sessionmaker) -> None:
    """Stop delivering for `sessions` (tests share one database between runtimes)."""
    slot = _SLOTS.get(sessions)
    if slot is not None:
        slot.bus = None


class _Slot:
    """The listeners on one sessionmaker; the bus they deliver to can be swapped.

    Events are delivered once the committed transaction has ended and given its connection
    back to the pool, so a handler that opens a session of its own never holds two.
    """

    bus: EventBus | None = None

    def after_commit(self, session: Session) -> None:
        session.info.setdefault(COMMITTED, []).extend(session.info.pop(PENDING, []))

    def after_transaction_end(self, session: Session, transaction) -> None:
        if transaction.parent is not None or COMMITTED not in session.info:
            return
        committed = session.info.pop(COMMITTED)
        if self.bus is not None:
            for item in committed:
                self.bus.publish(item)

    def after_soft_rollback(self, session: Session, previous) -> None:
        if not previous.nested:  # a savepoint's rollback keeps the outer transaction's events
            session.info.pop(PENDING, None)


_SLOTS: weakref.WeakKeyDictionary[sessionmaker, _Slot] = weakref.WeakKeyDictionary()


def _name(handler: Callable) -> str:
    return getattr(handler, "__qualname__", repr(handler))


# ---- the live channel -------------------------------------------------------------------------

class Events:
    """The live channel of one Redis: publish to it, listen on it."""

    def __init__(self, client: redis.Redis | None):
        self.client = client
        db = client.connection_pool.connection_kwargs.get("db", 0) if client is not None else 0
        self.channel = f"{CHANNEL}:{db}"

    def publish(self, kind: str, **data) -> bool:
        return self.send(event(kind, **data))

    def send(self, message: dict) -> bool:
        """Publish one message built by `event`; False (and a warning) when Redis is unreachable."""
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
        self.send(event(kind, **data))

    def send(self, message: dict) -> None:
        self._start()
        try:
            self._queue.put_nowait(message)
        except queue.Full:
            log.warning("event dropped: too many waiting", extra={"kind": message["kind"],
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
