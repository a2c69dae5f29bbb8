"""Open desk tabs never take the phone line down: under the Procfile's gunicorn config, with
far more event streams open than the old 2 x 8 threads, every webhook is still answered at
once, and each web process holds one subscription to the live channel, not one per tab."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import pytest

from bench.processes import free_port
from bench.streams import PASSWORD, SID, TOKEN, open_streams, sign_in, start_web, webhook_times
from core import accounts, migrate
from core.db import Database
from core.events import Events

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
TABS = 60


def test_sixty_open_tabs_leave_every_webhook_answered(tmp_path, redis_url, redis):
    url = f"sqlite:///{tmp_path / 'streams.sqlite3'}"
    migrate.upgrade(url)
    db = Database(url)
    with db.session() as session:
        for n in range(3):
            accounts.create_user(session, f"tab{n:02}", PASSWORD, queues=["support"])
    db.dispose()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "IVR_ENV": "production", "TWILIO_ACCOUNT_SID": SID,
           "TWILIO_AUTH_TOKEN": TOKEN, "API_TOKEN": secrets.token_hex(8),
           "SECRET_KEY": secrets.token_hex(16), "DATABASE_URL": url, "REDIS_URL": redis_url,
           "PUBLIC_BASE_URL": base, "IVR_DATA_DIR": str(tmp_path), "LOG_LEVEL": "WARNING",
           "WEB_CONCURRENCY": "2", "FLOWS_DIR": str(ROOT / "flows")}
    web = start_web(port, env, tmp_path / "web.log")
    try:
        cookies = [sign_in(base, f"tab{n:02}") for n in range(3)]
        streams = open_streams(port, cookies, TABS)
        started = time.monotonic()
        times = webhook_times(base, 20)             # each must answer 200 with TwiML
        assert time.monotonic() - started < 20 and max(times) < 5000
        channel = Events(redis).channel
        subscribers = redis.pubsub_numsub(channel)[0][1]
        assert 1 <= subscribers <= 2, subscribers    # one per web process that has streams
        for sock in streams:
            sock.close()
    finally:
        web.terminate()
        web.wait(30)
