"""Distribution under load: 200 callers wait in one queue (a fifth of them with priority 5),
50 agents take calls, talk, wrap up and take the next one, across two web processes.

The server runs under gunicorn (2 processes, the Procfile's config) on a fresh PostgreSQL
database; this script plays Twilio: signed webhooks for every caller and a fake of the REST
API and the agents' phones (ivr.twilio.cloud), which answer after one simulated second.
Simulated time runs at 0.01 real seconds per second (a 100 s conversation takes 1 s); the
queue's wrap-up is 2 real seconds.

Printed, from the database afterwards:
- offer latency: from the moment an offer became possible (the agent available and the caller
  waiting, whichever came last) to the offer, p50/p95/max;
- order: offers that went to a caller while one of higher priority, or of the same priority
  and waiting longer, was still waiting (inversions; 0 expected);
- double offers: a caller with two offers ringing at once, an agent with two at once (0);
- every caller served, and calls per agent.

    .venv/bin/python -m bench.acd [--callers 200] [--agents 50]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from bench.processes import ADMIN_URL, free_port, fresh_database, wait_for
from core import accounts
from core.db import Database
from ivr.twilio.cloud import FakeTwilioCloud
from ivr.twilio.simulator import Script, Twilio, http_transport

ROOT = Path(__file__).resolve().parent.parent
SID, TOKEN = "AC" + "b" * 32, "bench-token"
LINE, PRIORITY_LINE = "+815012340000", "+815012340001"
FLOW = """name: {name}
numbers: ["{number}"]
language: ja-JP
timezone: Asia/Tokyo
start: line
steps:
  line:
    connect: {{queue: sales, priority: {priority}, max_wait: 3600, no_answer: end, next: end}}
  end:
    hangup: true
"""
QUEUES = "queues:\n  sales: {wrap_up: 2, ring_timeout: 20}\n"


def flows(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "line.yaml").write_text(FLOW.format(name="line", number=LINE, priority=0))
    (folder / "vip.yaml").write_text(FLOW.format(name="vip", number=PRIORITY_LINE, priority=5))
    (folder / "queues.yaml").write_text(QUEUES)


def start_web(port: int, env: dict, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        process = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--config",
                                    "python:core.gunicorn_conf", "core.web.app:create_app()"],
                                   cwd=ROOT, env={**env, "PORT": str(port)},
                                   stdout=out, stderr=subprocess.STDOUT)
    wait_for(f"http://127.0.0.1:{port}/healthz", seconds=30, ready=lambda _: True,
             process=process)
    return process


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--callers", type=int, default=200)
    parser.add_argument("--agents", type=int, default=50)
    args = parser.parse_args()
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"ivr-bench-acd-{secrets.token_hex(3)}"
    flows(tmp / "flows")
    url = fresh_database(ADMIN_URL, "ivr_bench_acd")
    db = Database(url)
    with db.session() as session:
        for n in range(args.agents):
            accounts.create_user(session, f"agent{n:02}", secrets.token_urlsafe(12),
                                 queues=["sales"])
    cloud = FakeTwilioCloud(SID, TOKEN, scale=0.01)
    for n in range(args.agents):
        cloud.device(f"client:agent{n:02}", "answer", after=1)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "IVR_ENV": "production", "TWILIO_ACCOUNT_SID": SID,
           "TWILIO_AUTH_TOKEN": TOKEN, "API_TOKEN": "bench", "SECRET_KEY": "x" * 32,
           "DATABASE_URL": url, "REDIS_URL": "redis://127.0.0.1:6379/14",
           "PUBLIC_BASE_URL": base, "FLOWS_DIR": str(tmp / "flows"), "IVR_DATA_DIR": str(tmp),
           "LOG_LEVEL": "WARNING", "WEB_CONCURRENCY": "2", "TWILIO_API_BASE_URL": cloud.base_url}
    web = start_web(port, env, tmp / "web.log")
    print(f"server log: {tmp / 'web.log'}")
    phone = cloud.attach(Twilio(base, SID, TOKEN, http_transport(timeout=30)))
    try:
        started = time.monotonic()
        results, calls = run_calls(phone, args.callers)
        free_agents(base, args.agents)
        for thread in results:
            thread.join(600)
        cloud.wait_idle(60)
        elapsed = time.monotonic() - started
        ends = {}
        for result in calls:
            ends[result.ended_by] = ends.get(result.ended_by, 0) + 1
        print(f"calls ended: {ends}; cloud errors: {cloud.errors[:3]}")
    finally:
        web.terminate()
        web.wait(20)
        cloud.close()
    report(url, args, elapsed)


def run_calls(phone: Twilio, count: int) -> list[threading.Thread]:
    """Every caller dials in (every fifth on the priority line) and waits in the queue."""
    threads, calls = [], []

    def call(caller: str, line: str, script: Script) -> None:
        calls.append(phone.call(caller, line, script))

    for n in range(count):
        line = PRIORITY_LINE if n % 5 == 4 else LINE
        script = Script(talk_seconds=100, queue_step_seconds=300)
        thread = threading.Thread(target=call, args=(f"+8190{n:08d}", line, script),
                                  daemon=True)
        thread.start()
        threads.append(thread)
        time.sleep(0.01)
    time.sleep(2)        # everyone is waiting before the first agent signs in
    return threads, calls


def free_agents(base: str, count: int) -> None:
    http = requests.Session()
    for n in range(count):
        response = http.put(f"{base}/api/agents/agent{n:02}/status",
                            json={"status": "available"},
                            headers={"Authorization": "Bearer bench"}, timeout=10)
        response.raise_for_status()


LATENCY = text("""
SELECT o.id, o.user_id, w.id AS entry, w.priority, w.enqueued_at, o.created_at, o.ended_at,
  (SELECT max(c.at) FROM agent_state_changes c
    WHERE c.user_id = o.user_id AND c.status = 'available' AND c.at <= o.created_at) AS free_at
FROM acd_offers o JOIN acd_waiting w ON w.id = o.waiting_id ORDER BY o.created_at
""")


def report(url: str, args, elapsed: float) -> None:
    engine = create_engine(url)
    with engine.connect() as conn:
        offers = conn.execute(LATENCY).all()
        unserved = conn.execute(text(
            "SELECT count(*) FROM acd_waiting WHERE ended_reason IS DISTINCT FROM 'served'")
        ).scalar()
    engine.dispose()
    latency = sorted((o.created_at - max(o.free_at, o.enqueued_at)).total_seconds() * 1000
                     for o in offers)
    first_offer = {}
    for o in offers:
        first_offer.setdefault(o.entry, o.created_at)
    inversions = sum(1 for o in offers for e in offers
                     if first_offer[e.entry] > o.created_at and e.enqueued_at < o.created_at
                     and (e.priority, -e.enqueued_at.timestamp())
                     > (o.priority, -o.enqueued_at.timestamp())) if offers else 0
    per_entry = {}
    for o in offers:
        per_entry.setdefault(o.entry, []).append(o)
    per_agent = {}
    for o in offers:
        per_agent.setdefault(o.user_id, []).append(o)
    double_caller = sum(len(v) - 1 for v in per_entry.values())
    double_agent = sum(1 for v in per_agent.values() for a, b in zip(v, v[1:], strict=False)
                       if a.ended_at is None or b.created_at < a.ended_at)
    calls = [len(v) for v in per_agent.values()]
    print("command: .venv/bin/python -m bench.acd "
          f"--callers {args.callers} --agents {args.agents}")
    print(f"callers {args.callers}, agents {args.agents}, offers {len(offers)}, "
          f"not served {unserved}, elapsed {elapsed:.1f} s")
    print(f"offer latency ms: p50 {pct(latency, 50):.0f}, p95 {pct(latency, 95):.0f}, "
          f"max {latency[-1]:.0f}" if latency else "no offers")
    print(f"order inversions: {inversions}; callers offered twice: {double_caller}; "
          f"agents with two offers at once: {double_agent}")
    if calls:
        print(f"calls per agent: min {min(calls)}, median {statistics.median(calls)}, "
              f"max {max(calls)}")


def pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


if __name__ == "__main__":
    main()
