"""Throughput of N transcription workers: audio minutes transcribed per wall-clock minute.

Real `ivr worker` processes (model loaded before timing starts) take a batch of voicemails
through the whole job: download from a local stand-in for Twilio, ffmpeg, Vosk, transcript on
the ticket. The same batch runs with each worker count in one run.

    .venv/bin/python -m bench.transcription_throughput --workers 1,2 --recordings 12
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from redis import Redis
from rq import Queue, Worker
from sqlalchemy import delete, func, select, update

from bench.processes import ADMIN_URL, fresh_database, ko_model_path
from core.db import Database, utcnow
from ivr.tools.demo import SAMPLE, SampleRecordings
from transcription import jobs
from voicemail import recordings
from voicemail.models import Recording, Transcript

ROOT = Path(__file__).resolve().parent.parent
SID, TOKEN = "AC" + "6" * 32, "bench-token"
REDIS_URL = "redis://127.0.0.1:6379/13"
DB_NAME = "ivr_bench_tx"


def seed(db: Database, media: SampleRecordings, count: int, seconds: int) -> list[int]:
    ids = []
    with db.session() as session:
        for i in range(count):
            report = recordings.RecordingReport(
                recording_sid=f"RE{secrets.token_hex(16)}", call_sid=f"CA{i:032d}",
                source_url=media.url(SID), kind="voicemail", mailbox="support", take=1,
                duration=seconds, caller=f"+8190{i:08d}")
            rec, _ = recordings.receive(session, report, None, now=utcnow(), region="JP",
                                        window_days=7)
            ids.append(rec.id)
    return ids


def reset(db: Database, recordings_dir: Path) -> None:
    with db.session() as session:
        session.execute(delete(Transcript))
        session.execute(update(Recording).values(status="pending", attempts=0,
                                                 storage_key=None, transcribed_at=None))
    for file in recordings_dir.rglob("*.wav"):
        file.unlink()


def run_round(workers: int, env: dict, db: Database, ids: list[int], seconds: int) -> float:
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    procs = [subprocess.Popen([str(Path(sys.executable).parent / "ivr"), "worker"], env=env,
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True) for _ in range(workers)]
    try:
        while Worker.count(connection=redis) < workers:     # models loaded, listening
            time.sleep(0.2)
        queue = Queue(jobs.QUEUE, connection=redis)
        started = time.perf_counter()
        for recording_id in ids:
            jobs.enqueue(queue, recording_id, seconds)
        while True:
            with db.session() as session:
                left = session.scalar(select(func.count()).select_from(Recording)
                                      .where(Recording.status == "pending"))
            if not left:
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=60)
    with db.session() as session:
        failed = session.scalar(select(func.count()).select_from(Recording)
                                .where(Recording.status != "transcribed"))
    if failed:
        raise SystemExit(f"{failed} recordings did not transcribe")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--recordings", type=int, default=12)
    args = parser.parse_args()
    seconds = 11  # the sample voicemail (J. F. Kennedy, 8 kHz mono) lasts 11.0 s
    media = SampleRecordings(SID, TOKEN)
    db = Database(fresh_database(ADMIN_URL, DB_NAME))
    ids = seed(db, media, args.recordings, seconds)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "IVR_ENV": "production", "TWILIO_ACCOUNT_SID": SID,
               "TWILIO_AUTH_TOKEN": TOKEN, "API_TOKEN": "x", "SECRET_KEY": "x",
               "DATABASE_URL": db.url, "REDIS_URL": REDIS_URL, "RECORDING_HOSTS": media.host,
               "RECORDINGS_DIR": tmp, "VOSK_MODEL_PATH": str(ko_model_path()),
               "LOG_LEVEL": "WARNING", "IVR_DATA_DIR": tmp}
        audio_minutes = args.recordings * seconds / 60
        print(f"command: .venv/bin/python -m bench.transcription_throughput --workers "
              f"{args.workers} --recordings {args.recordings}")
        print(f"batch: {args.recordings} voicemails x {seconds} s = {audio_minutes:.1f} audio "
              f"minutes; machine: {os.cpu_count()} CPUs; sample {SAMPLE.name}")
        print(f"{'workers':>7} {'wall s':>8} {'audio min / wall min':>22} {'speed-up':>9}")
        base = None
        for count in (int(n) for n in args.workers.split(",")):
            reset(db, Path(tmp))
            elapsed = run_round(count, env, db, ids, seconds)
            rate = audio_minutes / (elapsed / 60)
            base = base or rate
            print(f"{count:7d} {elapsed:8.1f} {rate:22.2f} {rate / base:9.2f}")
    db.dispose()


if __name__ == "__main__":
    main()
