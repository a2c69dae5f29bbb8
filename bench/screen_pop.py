"""Screen-pop latency: from the webhook that rings an agent to the pop in the agent's browser DOM.

Two web processes serve real HTTP on PostgreSQL and Redis: two gunicorn servers (gthread, one
worker each), A and B. Two agents sit on /desk in headless Chromium, their live event streams
held by A; Twilio's webhooks go to B, so every pop crosses processes through Redis pub/sub.
Simulated callers (known customers with email history) press "0" one after another; the webhook
answering that "0" renders the <Dial> to the agents and publishes call.offered. For each call
and each agent:

    latency = pop's first-shown time in the page (Date.now(), set by desk.js on insertion)
              - the time this script started sending that webhook (time.time(), same machine)

so it includes the webhook's own processing, the Redis fan-out to the stream's process, the
pop rendered from the database, and the browser's parsing and insertion.

    .venv/bin/python -m bench.screen_pop --calls 60
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
import requests
from playwright.sync_api import sync_playwright

from bench.load import FLOWS, ROOT, percentile
from bench.processes import free_port, fresh_database, wait_for
from core.accounts import create_user
from core.db import Database
from crm_link.contacts import record_contact
from crm_link.directory import Contact
from ivr.twilio.simulator import Script, Twilio
from tests.support.browser import CHROMIUM_ARGS

SID, TOKEN = "AC" + "6" * 32, "screen-pop-bench"
PASSWORD = "bench password 1"
AGENTS = ("agent1", "agent2")
LINE = "+81312345678"


def seed(database_url: str, calls: int) -> list[str]:
    """Agents on the flow's queue, and one known caller per call with an email on file."""
    db = Database(database_url)
    numbers = [f"+8190{5000_0000 + i:08d}" for i in range(calls)]
    with db.session() as session:
        for name in AGENTS:
            user = create_user(session, name, PASSWORD, queues=["support"],
                               dial=f"client:{name}")
            user.presence = "available"   # offered calls from the start
        for i, number in enumerate(numbers):
            record_contact(session, Contact(
                channel="email", email=f"customer{i}@example.jp", phone=number,
                name=f"顧客 {i}", subject=f"ご注文 #{1000 + i} について",
                text="商品の配送状況を教えてください。", external_id=f"<bench-{i}@example.jp>",
                at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)))
    db.dispose()
    return numbers


class Web:
    """One gunicorn server (one gthread worker process) started as the Procfile's web line."""

    def __init__(self, database_url: str, redis_url: str, workdir: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "IVR_ENV": "production", "TWILIO_ACCOUNT_SID": SID,
               "TWILIO_AUTH_TOKEN": TOKEN, "API_TOKEN": "bench", "SECRET_KEY": "bench",
               "DATABASE_URL": database_url, "REDIS_URL": redis_url, "PORT": str(self.port),
               "PUBLIC_BASE_URL": self.base, "WEB_CONCURRENCY": "1", "FLOWS_DIR": str(FLOWS),
               "RECORDINGS_DIR": str(workdir / "recordings"), "IVR_DATA_DIR": str(workdir),
               "LOG_LEVEL": "WARNING"}
        self.log = open(workdir / f"gunicorn-{self.port}.log", "wb")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--config", "python:core.gunicorn_conf",
             "core.web.app:create_app()"], cwd=ROOT, env=env, stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(f"{self.base}/readyz", process=self.process)

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=60)
        self.log.close()


def ringing_transport(sent: dict):
    """Real HTTP; remembers when the request whose answer rings agents (<Dial>) was sent."""
    http = requests.Session()

    def send(url, params, headers):
        started = time.time()
        response = http.post(url, data=params, headers=headers, timeout=30)
        if "<Client" in response.text and params["CallSid"] not in sent:
            sent[params["CallSid"]] = started
        return response.status_code, response.text

    return send


def open_desk(browser, base: str, username: str):
    page = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo").new_page()
    page.set_default_timeout(10000)
    page.goto(f"{base}/login?next=/desk")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("section.login button[type=submit]")
    page.wait_for_url(f"{base}/desk")
    page.wait_for_selector("#pops[data-ready='1']", state="attached")
    return page


def measure(desk: Web, webhooks: Web, numbers: list[str]) -> list[float]:
    """Agents' pages on `desk`, Twilio's webhooks to `webhooks`."""
    sent: dict[str, float] = {}
    twilio = Twilio(webhooks.base, SID, TOKEN, ringing_transport(sent))
    latencies: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                             headless=True, args=CHROMIUM_ARGS)
        pages = [open_desk(browser, desk.base, name) for name in AGENTS]
        for number in numbers:
            result = twilio.call(number, LINE, Script(inputs=["0"], dial="no-answer",
                                                      message_seconds=0))
            for page in pages:
                pop = page.wait_for_selector(f"section.pop[data-call-sid='{result.call_sid}']")
                shown = float(pop.get_attribute("data-first-shown-at"))
                latencies.append(shown - sent[result.call_sid] * 1000)
                page.evaluate("document.querySelectorAll('section.pop').forEach(s => s.remove())")
        browser.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/10")
    args = parser.parse_args()
    database_url = fresh_database(args.admin_url, "ivr_screen_pop")
    redis.Redis.from_url(args.redis_url).flushdb()
    numbers = seed(database_url, args.calls)
    with tempfile.TemporaryDirectory() as workdir:
        servers = [Web(database_url, args.redis_url, Path(workdir)) for _ in range(2)]
        try:
            latencies = measure(servers[0], servers[1], numbers)
        finally:
            for server in servers:
                server.stop()
    command = ".venv/bin/python -m bench.screen_pop " + " ".join(sys.argv[1:])
    print(f"screen-pop latency, webhook sent -> pop in the DOM, {len(latencies)} pops "
          f"({args.calls} calls x {len(AGENTS)} agents); webhooks to one gunicorn process, "
          "event streams on another; PostgreSQL, Redis pub/sub, headless Chromium")
    print(f"  p50 {percentile(latencies, 50):.0f} ms   p95 {percentile(latencies, 95):.0f} ms   "
          f"max {max(latencies):.0f} ms   mean {statistics.mean(latencies):.0f} ms   "
          f"over 1 s: {sum(1 for v in latencies if v > 1000)}")
    print(f"  command: {command.strip()}")


if __name__ == "__main__":
    main()
