"""Load and soak: many concurrent simulated calls against the Procfile's processes.

`web` (gunicorn, 2 processes) and `worker` (2 RQ workers) run under honcho exactly as the
Procfile says, on PostgreSQL and Redis. Callers play four scripts at once: self-service menu,
queue then voicemail (real audio, transcribed by the workers), transfer to a number, call-back
booking. Afterwards the database is checked: every voicemail is exactly one interaction on
the caller's own customer record, transcribed or visibly failed.

    .venv/bin/python -m bench.load --calls 1000 --concurrency 16
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import redis
import requests
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from bench.processes import free_port, fresh_database, ko_model_path, wait_for
from crm_link.models import Identity, Interaction
from ivr.models import Call
from ivr.tools.demo import SAMPLE, SampleRecordings
from ivr.twilio.simulator import Script, Twilio
from voicemail.models import Recording

ROOT = Path(__file__).resolve().parent.parent
SID, TOKEN = "AC" + "4" * 32, "load-token"
FLOWS = ROOT / "bench" / "load_flows"   # one flow, open at any hour
SCRIPTS = {   # name -> (menu inputs, script options)
    "self-service": (["1"], {}),
    "voicemail": (["0"], {"queue_step_seconds": 20}),     # nobody answers: a voicemail
    "transfer": (["2"], {"dial": "completed", "talk_seconds": 30}),   # a recorded call
    "callback": (["3", "1"], {}),
}


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, ms: float, status: int) -> None:
        with self.lock:
            self.latencies.append(ms)
            self.statuses[status] = self.statuses.get(status, 0) + 1


def timed_transport(stats: Stats):
    http = requests.Session()
    http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=64))

    def send(url, params, headers):
        started = time.perf_counter()
        response = http.post(url, data=params, headers=headers, timeout=30)
        stats.record((time.perf_counter() - started) * 1000, response.status_code)
        return response.status_code, response.text

    return send


class Deployment:
    """The Procfile's web and worker processes under honcho, production settings."""

    def __init__(self, database_url: str, redis_url: str, media_host: str, workdir: Path,
                 web_processes: int = 2, workers: int = 2):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "IVR_ENV": "production", "TWILIO_ACCOUNT_SID": SID,
               "TWILIO_AUTH_TOKEN": TOKEN, "API_TOKEN": "load", "SECRET_KEY": "load",
               "DATABASE_URL": database_url, "REDIS_URL": redis_url, "PORT": str(self.port),
               "PUBLIC_BASE_URL": self.base, "WEB_CONCURRENCY": str(web_processes),
               "VOSK_MODEL_PATH": str(ko_model_path()), "RECORDING_HOSTS": media_host,
               "RECORDINGS_DIR": str(workdir / "recordings"), "IVR_DATA_DIR": str(workdir),
               "FLOWS_DIR": str(FLOWS), "LOG_LEVEL": "WARNING",
               "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
        subprocess.run(["ivr", "db", "upgrade"], env=env, check=True, capture_output=True)
        self.log = open(workdir / "honcho.log", "wb")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "honcho"), "start", "--no-colour", "-f",
             str(ROOT / "Procfile"), "-c", f"web=1,worker={workers}", "web", "worker"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        wait_for(f"{self.base}/readyz", process=self.process)

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=120)
        self.log.close()


def place_calls(base: str, count: int, concurrency: int, recording_url: str,
                clock_note: str = "") -> tuple[Stats, dict[str, str], float]:
    """`count` calls, `concurrency` at a time; returns stats, CallSid -> script, seconds."""
    stats = Stats()
    twilio = Twilio(base, SID, TOKEN, timed_transport(stats))
    plan = [random.Random(i).choice(list(SCRIPTS)) for i in range(count)]
    placed: dict[str, str] = {}

    def one(index: int) -> None:
        name = plan[index]
        inputs, options = SCRIPTS[name]
        result = twilio.call(f"+8190{10_000_000 + index:08d}", "+81312345678",
                             Script(inputs=list(inputs), message_seconds=2,
                                    recording_url=recording_url, **options))
        placed[result.call_sid] = name

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, range(count)))
    return stats, placed, time.perf_counter() - started


def wait_drained(database_url: str, timeout: float) -> None:
    engine = create_engine(database_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with Session(engine) as session:
                pending = session.scalar(select(func.count()).select_from(Recording)
                                         .where(Recording.status == "pending"))
            if not pending:
                return
            time.sleep(1)
        raise RuntimeError(f"{pending} recordings still pending after {timeout:.0f} s")
    finally:
        engine.dispose()


def verify_soak(database_url: str, placed: dict[str, str]) -> dict:
    """Every voicemail: one interaction, on the caller's customer, transcribed or failed."""
    engine = create_engine(database_url)
    problems: list[str] = []
    with Session(engine) as session:
        calls = {c.call_sid: c for c in session.scalars(select(Call))}
        voicemail_calls = {sid for sid, name in placed.items() if name == "voicemail"}
        recordings = session.scalars(select(Recording).where(Recording.kind == "voicemail")).all()
        by_call = {}
        for recording in recordings:
            by_call.setdefault(recording.call_sid, []).append(recording)
        for sid in voicemail_calls:
            found = by_call.get(sid, [])
            if len(found) != 1:
                problems.append(f"{sid}: {len(found)} voicemail recordings")
                continue
            recording = found[0]
            if recording.status not in ("transcribed", "failed"):
                problems.append(f"{sid}: recording {recording.status}")
            interactions = session.scalars(select(Interaction).where(
                Interaction.external_id == f"recording:{recording.recording_sid}")).all()
            if len(interactions) != 1:
                problems.append(f"{sid}: {len(interactions)} interactions")
                continue
            owner = session.scalar(select(Identity.customer_id).where(
                Identity.kind == "phone",
                Identity.value == calls[sid].caller_phone))
            if interactions[0].customer_id != owner:
                problems.append(f"{sid}: voicemail filed on customer "
                                f"{interactions[0].customer_id}, caller is {owner}")
        statuses = {status: count for status, count in session.execute(
            select(Recording.status, func.count()).group_by(Recording.status))}
    engine.dispose()
    return {"voicemails": len(voicemail_calls), "recordings": statuses,
            "calls_in_db": len(calls), "problems": problems}


def short_voicemail(seconds: float = 2.5) -> bytes:
    """The demo's sample voicemail cut to a few seconds, so a soak's transcription keeps up."""
    return subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(SAMPLE), "-t",
                           str(seconds), "-f", "wav", "-c:a", "pcm_s16le", "pipe:1"],
                          check=True, capture_output=True).stdout


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    args = parser.parse_args()
    media = SampleRecordings(SID, TOKEN, short_voicemail())
    database_url = fresh_database(args.admin_url, "ivr_load")
    redis.Redis.from_url(args.redis_url).flushdb()
    with tempfile.TemporaryDirectory() as workdir:
        deployment = Deployment(database_url, args.redis_url, media.host, Path(workdir))
        try:
            stats, placed, seconds = place_calls(deployment.base, args.calls, args.concurrency,
                                                 media.url(SID))
            wait_drained(database_url, timeout=max(600, args.calls * 3))
        finally:
            deployment.stop()
    soak = verify_soak(database_url, placed)
    errors = sum(n for status, n in stats.statuses.items() if status >= 500)
    print(f"command: .venv/bin/python -m bench.load --calls {args.calls} "
          f"--concurrency {args.concurrency}")
    print(f"calls {args.calls} in {seconds:.1f} s = {args.calls / seconds:.1f} calls/s; "
          f"{len(stats.latencies)} webhooks = {len(stats.latencies) / seconds:.0f} req/s")
    print(f"webhook latency p50 {percentile(stats.latencies, 50):.1f} ms, p90 "
          f"{percentile(stats.latencies, 90):.1f} ms, p99 {percentile(stats.latencies, 99):.1f} "
          f"ms, max {max(stats.latencies):.1f} ms, mean {statistics.fmean(stats.latencies):.1f}")
    print(f"status codes {dict(sorted(stats.statuses.items()))}; 5xx: {errors}")
    print(f"soak: {soak['voicemails']} voicemails, recordings {soak['recordings']}, "
          f"problems {len(soak['problems'])}")
    for problem in soak["problems"][:20]:
        print("  ", problem)


if __name__ == "__main__":
    main()
