"""The process: settings, database, Redis, queues and the event bus, shared by web and worker.

One Runtime is built per process (the app factory, the worker loop, a CLI command) and
`start()`ed once, which lets every feature subscribe its event handlers and register its
readiness probes. Features keep their own per-process objects (a loaded speech model, the flow
registry) with `service()`. No Flask here.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import TypeVar

import redis
from rq import Queue

from core.db import Database
from core.events import BackgroundEvents, EventBus, Events
from core.live_hub import LiveHub
from core.redis_conn import connect
from core.settings import Settings

T = TypeVar("T")


class Runtime:
    """Built once per process from Settings; web requests and jobs borrow from it."""

    def __init__(self, settings: Settings, *, db: Database | None = None,
                 clock: Callable[[], dt.datetime] | None = None, live_sync: bool = False):
        self.settings = settings
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))  # simulations fix the time
        self.db = db or Database(settings.database_url, pool_size=max(2, settings.web_concurrency),
                                 durable_autocommit=settings.telephony.call_state_commit == "sync")
        self._redis: redis.Redis | None = None
        # Webhooks publish live events through this thread: a caller never waits on Redis.
        # Workers publish synchronously (live_sync): a job's process may end right after it.
        self.background_events = BackgroundEvents(lambda: self.events)
        self.live_sync = live_sync
        self.bus = EventBus(live=self._live)
        # Extra /readyz checks registered by features: name -> () -> {"ok": bool, ...}.
        self.readiness_probes: dict[str, Callable[[], dict]] = {}
        self.services: dict[type, object] = {}
        self.started = False
        self.pid = os.getpid()

    def start(self) -> Runtime:
        """Deliver this process's events and let every feature subscribe (once)."""
        if not self.started:
            from core import features  # the feature list is read at start, not at import
            self.bus.bind(self.db.sessions)
            for feature in features.load():
                feature.start(self)
            self.started = True
        return self

    def service(self, kind: type[T], factory: Callable[[], T] | None = None) -> T:
        """This process's one `kind` object, made by `factory` (default: `kind()`) on first use."""
        if kind not in self.services:
            self.services[kind] = (factory or kind)()
        return self.services[kind]  # type: ignore[return-value]

    @property
    def redis(self) -> redis.Redis | None:
        """The Redis client, or None when no Redis is configured for this process."""
        if self._redis is None and self.settings.redis_url:
            self._redis = connect(self.settings.redis_url)
        return self._redis

    @property
    def live_hub(self) -> LiveHub:
        """This process's one subscription to the live channel, shared by its event streams."""
        return self.service(LiveHub, lambda: LiveHub(lambda: self.redis))

    @property
    def events(self) -> Events:
        """The live channel (publishing without Redis is a logged no-op)."""
        return Events(self.redis)

    def queue(self, name: str) -> Queue:
        if self.redis is None:
            raise redis.ConnectionError("No REDIS_URL configured for this process.")
        return Queue(name, connection=self.redis)

    def for_this_process(self) -> Runtime:
        """After a fork (RQ's work-horse), pooled connections belong to the parent: renew them."""
        if os.getpid() != self.pid:
            self.db.engine.dispose(close=False)
            self.db.autocommit_engine.dispose(close=False)
            self.pid = os.getpid()
        return self

    def close_services(self) -> None:
        """Stop the services' own threads (those that have a `close`)."""
        for service in list(self.services.values()):
            close = getattr(service, "close", None)
            if callable(close):
                close()

    def close(self) -> None:
        self.close_services()
        self.background_events.drain()
        self.db.dispose()
        if self._redis is not None:
            self._redis.close()

    def _live(self, message: dict) -> None:
        if self.live_sync:
            self.events.send(message)
        else:
            self.background_events.send(message)


_current: Runtime | None = None


def install(runtime: Runtime) -> Runtime:
    """Make `runtime` the process's own (the worker loop does, before it takes jobs)."""
    global _current
    _current = runtime
    return runtime


def current() -> Runtime:
    """The process's runtime; built from the environment if a plain `rq worker` runs our jobs."""
    global _current
    if _current is None:
        _current = Runtime(Settings.from_env().check(), live_sync=True).start()
    return _current.for_this_process()
