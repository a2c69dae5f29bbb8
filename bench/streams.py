"""Open desk event streams vs incoming-call webhooks: 500 agents' tabs stay open on the web
processes while calls arrive; webhook latency with and without them.

The server runs under gunicorn with the Procfile's config (2 processes) on a fresh PostgreSQL
database; streams are plain sockets holding `GET /desk/events` of signed-in agents (as many
tabs as asked, spread over 50 agents); each sample is one signed `POST /twilio/voice` of a new
call, sequential, measured end to end. Rounds alternate (none, streams, none, streams) so
drift on this shared machine shows.

    .venv/bin/python -m bench.streams [--streams 500] [--calls 300]
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from bench.processes import ADMIN_URL, free_port, fresh_database, wait_for
from core import accounts
from core.db import Database
from ivr.twilio.simulator import signed_headers

ROOT = Path(__file__).resolve().parent.parent
SID, TOKEN, PASSWORD = "AC" + "c" * 32, "streams-token", "streams-password-1"
LINE = "+81312345678"


def start_web(port: int, env: dict, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        process = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--config",
                                    "python:core.gunicorn_conf", "core.web.app:create_app()"],
                                   cwd=ROOT, env={**env, "PORT": str(port)}, stdout=out,
                                   stderr=subprocess.STDOUT)
    wait_for(f"http://127.0.0.1:{port}/healthz", seconds=30, ready=lambda _: True,
             process=process)
    return process


def sign_in(base: str, username: str) -> str:
    """A desk session cookie header for `username`."""
    http = requests.Session()
    html = http.get(f"{base}/login", timeout=10).text
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)
    answer = http.post(f"{base}/login", allow_redirects=False, timeout=10, data={
        "username": username, "password": PASSWORD, "csrf_token": token, "next": ""})
    if answer.status_code != 302:
        raise SystemExit(f"sign-in of {username} failed: {answer.status_code}")
    return "; ".join(f"{c.name}={c.value}" for c in http.cookies)


def open_streams(port: int, cookies: list[str], count: int) -> list[socket.socket]:
    """`count` open desk streams (round robin over the agents' cookies), each confirmed live."""
    streams = []
    for n in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.sendall((f"GET /desk/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                      f"Accept: text/event-stream\r\nCookie: {cookies[n % len(cookies)]}"
                      "\r\n\r\n").encode())
        head = b""
        while b"stream.ready" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                raise SystemExit(f"stream {n} closed: {head[:200]!r}")
            head += chunk
        if b" 200 " not in head.split(b"\r\n", 1)[0]:
            raise SystemExit(f"stream {n} refused: {head[:200]!r}")
        streams.append(sock)
    return streams


def webhook_times(base: str, calls: int) -> list[float]:
    http = requests.Session()
    times = []
    for _ in range(calls):
        sid = "CA" + secrets.token_hex(16)
        form = {"AccountSid": SID, "CallSid": sid, "From": "+819011112222", "To": LINE,
                "CallStatus": "ringing"}
        url = f"{base}/twilio/voice"
        started = time.perf_counter()
        response = http.post(url, data=form, headers=signed_headers(TOKEN, url, form),
                             timeout=30)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200 or "<Response>" not in response.text:
            raise SystemExit(f"webhook answered {response.status_code}")
    return times


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--agents", type=int, default=50)
    args = parser.parse_args()
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"ivr-bench-streams-{secrets.token_hex(3)}"
    tmp.mkdir(parents=True)
    url = fresh_database(ADMIN_URL, "ivr_bench_streams")
    db = Database(url)
    with db.session() as session:
        for n in range(args.agents):
            accounts.create_user(session, f"tab{n:02}", PASSWORD, queues=["support"])
    db.dispose()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "IVR_ENV": "production", "TWILIO_ACCOUNT_SID": SID,
           "TWILIO_AUTH_TOKEN": TOKEN, "API_TOKEN": "bench", "SECRET_KEY": "s" * 32,
           "DATABASE_URL": url, "REDIS_URL": "redis://127.0.0.1:6379/13",
           "PUBLIC_BASE_URL": base, "IVR_DATA_DIR": str(tmp), "LOG_LEVEL": "WARNING",
           "WEB_CONCURRENCY": "2", "FLOWS_DIR": str(ROOT / "flows")}
    web = start_web(port, env, tmp / "web.log")
    print(f"server log: {tmp / 'web.log'}")
    rounds: dict[str, list[float]] = {"no streams": [], f"{args.streams} streams": []}
    try:
        cookies = [sign_in(base, f"tab{n:02}") for n in range(args.agents)]
        webhook_times(base, 30)                                   # warm up
        for _ in range(2):
            rounds["no streams"] += webhook_times(base, args.calls // 2)
            streams = open_streams(port, cookies, args.streams)
            rounds[f"{args.streams} streams"] += webhook_times(base, args.calls // 2)
            for sock in streams:
                sock.close()
            time.sleep(1)
    finally:
        web.terminate()
        web.wait(30)
    print(f"command: .venv/bin/python -m bench.streams --streams {args.streams} "
          f"--calls {args.calls}")
    print("| open streams | webhooks | p50 ms | p95 ms | p99 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, times in rounds.items():
        print(f"| {name} | {len(times)} | {pct(times, 50):.1f} | {pct(times, 95):.1f} | "
              f"{pct(times, 99):.1f} | {max(times):.1f} |")
    base_p99 = pct(rounds["no streams"], 99)
    loaded_p99 = pct(rounds[f"{args.streams} streams"], 99)
    print(f"p99 with streams / without: {loaded_p99 / base_p99:.2f}")


if __name__ == "__main__":
    main()
