"""Real `ivr worker` processes: killed mid-job, stopped mid-job, asked for queue health.

Nothing is lost and nothing is doubled: a recording whose worker died is picked up again by
the next worker (or a live worker's periodic sweep) and ends with exactly one transcript.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rq import Queue
from rq.registry import StartedJobRegistry
from sqlalchemy import func, select

from ivr.twilio.simulator import Script
from tests.conftest import TWILIO_SID, TWILIO_TOKEN
from tests.support.fake_twilio_media import FakeTwilioMedia
from transcription import jobs
from voicemail.models import Recording, Transcript

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
HEARTBEAT = 1   # seconds; a busy worker silent for 3 of them counts as dead


@pytest.fixture
def long_voicemail(tmp_path) -> bytes:
    """About 40 s of speech at 8 kHz: long enough to kill a worker while it decodes."""
    audio = ROOT / "tests" / "data" / "audio"
    listing = tmp_path / "files.txt"
    listing.write_text("".join(f"file '{audio / name}'\n" for name in
                               ["jfk.wav", "sense_and_sensibility_01_austen_64kb-0870.wav"] * 2))
    out = tmp_path / "long.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "concat", "-safe", "0", "-i",
                    str(listing), "-ar", "8000", "-ac", "1", "-c:a", "pcm_s16le", str(out)],
                   check=True)
    return out.read_bytes()


@pytest.fixture
def pending(twilio, at, runtime, long_voicemail, db):
    """A voicemail left on the Japanese line, waiting in the queue for a worker."""
    media = FakeTwilioMedia(TWILIO_SID, TWILIO_TOKEN, long_voicemail)
    runtime.settings = runtime.settings.with_(recording_hosts=(media.host,))
    at("2026-11-24T20:00+09:00")
    twilio.call("+819011112222", "+81312345678",
                Script(inputs=[""], message_seconds=40, recording_url=media.url()))
    with db.session() as session:
        recording_id = session.scalar(select(Recording.id))
    yield recording_id
    media.close()


def worker_env(settings, ko_model) -> dict:
    return {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "HOME": os.environ.get("HOME", "/"), "IVR_ENV": "development",
            "IVR_DATA_DIR": str(settings.data_dir), "DATABASE_URL": settings.database_url,
            "REDIS_URL": settings.redis_url, "TWILIO_ACCOUNT_SID": TWILIO_SID,
            "TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "API_TOKEN": "x", "SECRET_KEY": "x",
            "RECORDING_HOSTS": ",".join(settings.recording_hosts),
            "RECORDINGS_DIR": str(settings.recordings_dir), "VOSK_MODEL_PATH": str(ko_model),
            "WORKER_HEARTBEAT_SECONDS": str(HEARTBEAT), "LOG_FORMAT": "logfmt"}


def start_worker(env, *args, log: Path) -> subprocess.Popen:
    return subprocess.Popen([str(Path(sys.executable).parent / "ivr"), "worker", *args],
                            cwd=ROOT, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def descendants(pid: int) -> list[int]:
    """Every process below pid (RQ's work-horses start sessions of their own)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_dyno(process: subprocess.Popen, sig: int) -> None:
    """What a platform does to a stopped container: the signal reaches every process in it."""
    for pid in [process.pid, *descendants(process.pid)]:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (value := predicate()):
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def recording(db, recording_id) -> Recording:
    with db.session() as session:
        return session.get(Recording, recording_id)


def transcripts(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Transcript))


def test_sigkill_mid_job_is_recovered_and_transcribed_once(pending, settings, runtime, ko_model,
                                                           db, redis, tmp_path):
    env = worker_env(runtime.settings, ko_model)
    log = tmp_path / "worker.log"
    first = start_worker(env, log=log)
    started = StartedJobRegistry(queue=Queue(jobs.QUEUE, connection=redis))
    wait_until(lambda: started.count == 1, 60, "the job to start")
    time.sleep(1.5)                                   # decoding is under way
    kill_dyno(first, signal.SIGKILL)                  # the whole dyno dies, horse included
    first.wait()
    time.sleep(0.5)
    assert recording(db, pending).status == "pending" and transcripts(db) == 0

    second = start_worker(env, "--burst", log=log)    # the next worker's start-up sweep
    assert second.wait(timeout=180) == 0, log.read_text()[-3000:]
    done = recording(db, pending)
    assert done.status == "transcribed", log.read_text()[-3000:]
    assert done.attempts == 2 and transcripts(db) == 1


def test_a_live_workers_sweep_recovers_a_job_abandoned_elsewhere(pending, runtime, ko_model, db,
                                                                 redis, tmp_path):
    env = worker_env(runtime.settings, ko_model)
    log = tmp_path / "worker.log"
    doomed = start_worker(env, log=log)
    started = StartedJobRegistry(queue=Queue(jobs.QUEUE, connection=redis))
    wait_until(lambda: started.count == 1, 60, "the job to start")
    time.sleep(1)
    kill_dyno(doomed, signal.SIGKILL)
    doomed.wait()
    # A worker already running (not starting up) finds it on its periodic sweep.
    survivor = start_worker({**env, "WORKER_SWEEP_SECONDS": "2"}, log=log)
    try:
        wait_until(lambda: recording(db, pending).status != "pending", 180,
                   "the survivor to transcribe the abandoned recording")
    finally:
        kill_dyno(survivor, signal.SIGTERM)
        survivor.wait(timeout=60)
    assert recording(db, pending).status == "transcribed" and transcripts(db) == 1


def test_sigterm_mid_job_loses_nothing(pending, runtime, ko_model, db, redis, tmp_path):
    env = worker_env(runtime.settings, ko_model)
    log = tmp_path / "worker.log"
    worker = start_worker(env, log=log)
    started = StartedJobRegistry(queue=Queue(jobs.QUEUE, connection=redis))
    wait_until(lambda: started.count == 1, 60, "the job to start")
    time.sleep(1)
    kill_dyno(worker, signal.SIGTERM)                 # a deploy: every process gets SIGTERM
    assert worker.wait(timeout=60) is not None
    # The horse was cut off; RQ scheduled a retry. The deploy's new worker takes it from there.
    replacement = start_worker(env, log=log)
    try:
        wait_until(lambda: recording(db, pending).status != "pending", 180,
                   "the new worker to finish the recording")
    finally:
        kill_dyno(replacement, signal.SIGTERM)
        replacement.wait(timeout=60)
    assert recording(db, pending).status == "transcribed", log.read_text()[-3000:]
    assert transcripts(db) == 1
    assert "scheduled for retry" in log.read_text()


def test_status_reports_queue_health(pending, runtime, ko_model, db, tmp_path):
    env = worker_env(runtime.settings, ko_model)
    result = subprocess.run([str(Path(sys.executable).parent / "ivr"), "worker", "--status"],
                            env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "queued jobs:             1" in result.stdout
    assert "pending without a job:   0" in result.stdout
    assert "recordings by status:    pending 1" in result.stdout
