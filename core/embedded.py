"""Embedded defaults: with no REDIS_URL, start (or join) a private redis-server in the data folder."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from core.redis_conn import EmbeddedRedis
from core.settings import Settings

log = logging.getLogger("core.embedded")


@contextmanager
def embedded_redis(settings: Settings) -> Iterator[str | None]:
    """Yield the URL of a Redis we run for this process group, or None when REDIS_URL is set."""
    if settings.redis_url:
        yield None
        return
    server = EmbeddedRedis(settings.data_dir)
    already = server.running()
    url = server.start()
    if settings.production:
        log.warning("REDIS_URL is not set: using an embedded Redis on this machine only; "
                    "web and worker processes on other machines will not see it",
                    extra={"redis_url": url})
    else:
        log.info("embedded redis", extra={"redis_url": url, "shared": already})
    try:
        yield url
    finally:
        if not already:
            server.stop()
