"""Web processes dying under calls: a gunicorn worker SIGKILLed mid-storm, and SIGTERM during a
deploy. Requests cut off are retried as Twilio retries them; every call must still finish,
with no 5xx and no turn handled twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from honcho.environ import parse_procfile
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bench import load
from bench.processes import free_port, fresh_database, wait_for
from ivr.models import Call
from ivr.twilio.simulator import Script, Twilio

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
TRIES = 40


class RetryingTransport:
    """HTTP like Twilio: a request whose connection breaks is retried (same URL and body)."""

    def __init__(self):
        self.http = requests.Session()
        self.statuses: list[int] = []
        self.retried = 0
        self.lock = threading.Lock()

    def __call__(self, url, params, headers):
        for _ in range(TRIES):
            try:
                response = self.http.post(url, data=params, headers=headers, timeout=15)
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                with self.lock:
                    self.retried += 1
                time.sleep(0.25)          # the server is restarting or replacing a worker
                continue
            with self.lock:
                self.statuses.append(response.status_code)
            return response.status_code, response.text
        raise AssertionError(f"{url} unreachable after {TRIES} tries")


def start_web(env) -> subprocess.Popen:
    command = parse_procfile((ROOT / "Procfile").read_text()).processes["web"]
    process = subprocess.Popen(command, shell=True, cwd=ROOT, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(f"{env['PUBLIC_BASE_URL']}/healthz", seconds=30, ready=lambda _: True,
             process=process)
    return process


def gunicorn_workers(master: subprocess.Popen) -> list[int]:
    """The worker processes under the shell -> gunicorn master started for the Procfile."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    masters = children.get(master.pid, []) or [master.pid]
    return [pid for m in masters for pid in children.get(m, [])]


@pytest.fixture
def deployment_env(database_url, redis_url, tmp_path):
    if database_url.startswith("sqlite"):
        pytest.skip("runs the Procfile on PostgreSQL")
    url = fresh_database(database_url.rsplit("/", 1)[0] + "/test", "ivr_web_faults")
    port = free_port()
    return {**os.environ, "IVR_ENV": "production", "TWILIO_ACCOUNT_SID": load.SID,
            "TWILIO_AUTH_TOKEN": load.TOKEN, "API_TOKEN": "x", "SECRET_KEY": "x",
            "DATABASE_URL": url, "REDIS_URL": redis_url, "PORT": str(port),
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "WEB_CONCURRENCY": "2",
            "FLOWS_DIR": str(load.FLOWS), "IVR_DATA_DIR": str(tmp_path), "LOG_LEVEL": "WARNING",
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}


def storm(env, transport, calls: int, during) -> list:
    """Place calls concurrently; `during()` runs once the storm is under way."""
    twilio = Twilio(env["PUBLIC_BASE_URL"], load.SID, load.TOKEN, transport)
    scripts = [["1"], ["3", "1"], ["2"]]

    def one(i):
        return twilio.call(f"+8190{20_000_000 + i:08d}", "+81312345678",
                           Script(inputs=list(scripts[i % 3]), dial="completed"))

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(one, i) for i in range(calls)]
        time.sleep(0.4)
        during()
        return [f.result(timeout=120) for f in futures]


def check_calls(env, results) -> None:
    engine = create_engine(env["DATABASE_URL"])
    with Session(engine) as session:
        rows = {c.call_sid: c for c in session.scalars(select(Call))}
    engine.dispose()
    for result in results:
        assert result.said()[-1] == "ありがとうございました。", result.text()
        call = rows[result.call_sid]
        steps = [e["step"] for e in call.events_of("step")]
        assert steps.count("welcome") == 1, steps          # no turn was handled twice
        assert call.ended_at is not None


def test_web_workers_killed_mid_storm(deployment_env):
    web = start_web(deployment_env)
    transport = RetryingTransport()
    killed = []

    def kill_workers():  # SIGKILL a serving worker every 0.3 s while calls are under way
        for _ in range(4):
            victims = gunicorn_workers(web)
            if victims:
                os.kill(victims[0], signal.SIGKILL)
                killed.append(victims[0])
            time.sleep(0.3)

    try:
        assert len(gunicorn_workers(web)) == 2
        results = storm(deployment_env, transport, 60, kill_workers)
        time.sleep(1)
        assert len(gunicorn_workers(web)) == 2              # the master replaced them
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(timeout=60)
    assert len(killed) == 4
    assert transport.retried > 0, "no request was cut off: the fault never hit a request"
    assert all(status < 500 for status in transport.statuses)
    check_calls(deployment_env, results)


def test_sigterm_during_a_deploy(deployment_env):
    transport = RetryingTransport()
    servers = [start_web(deployment_env)]

    def deploy():  # the old release gets SIGTERM, finishes its requests; the new one starts
        os.killpg(servers[0].pid, signal.SIGTERM)
        servers[0].wait(timeout=60)
        servers.append(start_web(deployment_env))

    try:
        results = storm(deployment_env, transport, 300, deploy)   # long enough to span it
    finally:
        os.killpg(servers[-1].pid, signal.SIGTERM)
        servers[-1].wait(timeout=60)
    assert transport.retried > 0, "no request met the gap between the two releases"
    assert all(status < 500 for status in transport.statuses)
    check_calls(deployment_env, results)
