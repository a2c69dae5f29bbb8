"""The process-wide services (settings, database, Redis, queues) shared by web and worker; no Flask."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import redis
from rq import Queue

from core.db import Database
from core.events import BackgroundEvents, Events
from core.redis_conn import connect
from core.settings import Settings

# Queue names, in priority order for workers.
QUEUES = ("transcription", "default")


class Runtime:
    """Built once per process from Settings; web requests and jobs borrow from it."""

    def __init__(self, settings: Settings, *, db: Database | None = None,
                 clock: Callable[[], dt.datetime] | None = None):
        self.settings = settings
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))  # simulations fix the time
        self.db = db or Database(settings.database_url, pool_size=max(2, settings.web_concurrency),
                                 durable_autocommit=settings.call_state_commit == "sync")
        self._redis: redis.Redis | None = None
        # Webhooks publish through this thread: a caller never waits on Redis.
        self.background_events = BackgroundEvents(lambda: self.events)
        # Extra /readyz checks registered by subsystems: name -> () -> {"ok": bool, ...}.
        self.readiness_probes: dict[str, Callable[[], dict]] = {}

    @property
    def redis(self) -> redis.Redis | None:
        """The Redis client, or None when no Redis is configured for this process."""
        if self._redis is None and self.settings.redis_url:
            self._redis = connect(self.settings.redis_url)
        return self._redis

    @property
    def events(self) -> Events:
        """The live event channel (publishing without Redis is a logged no-op)."""
        return Events(self.redis)

    def queue(self, name: str = "transcription") -> Queue:
        if self.redis is None:
            raise redis.ConnectionError("No REDIS_URL configured for this process.")
        return Queue(name, connection=self.redis)

    def close(self) -> None:
        self.background_events.drain()
        self.db.dispose()
        if self._redis is not None:
            self._redis.close()
