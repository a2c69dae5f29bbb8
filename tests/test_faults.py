"""Injected faults that must lose nothing: an unwritable recordings folder, Twilio's callbacks
in the wrong order, and (slow) Redis and PostgreSQL going away mid-run."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rq import Queue
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from core import migrate
from core import worker as worker_loop
from core.redis_conn import EmbeddedRedis
from core.runtime import Runtime
from core.web.app import create_app
from crm_link.models import Interaction
from ivr.models import Call
from ivr.twilio.simulator import Script, Twilio, flask_transport
from tests.conftest import PUBLIC_BASE_URL, TWILIO_SID, TWILIO_TOKEN
from tests.support.fake_twilio_media import FakeTwilioMedia
from tests.support.private_postgres import PrivatePostgres
from tests.twiml_check import validate
from transcription import jobs
from transcription.recognizer import ModelCache
from voicemail.models import Recording

EVENING = "2026-11-24T20:00+09:00"


@pytest.fixture
def media(runtime, request, tmp_path):
    wav = tmp_path / "vm.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i",
                    str(request.config.rootpath / "tests/data/audio/jfk.wav"), "-ar", "8000",
                    "-ac", "1", str(wav)], check=True)
    server = FakeTwilioMedia(TWILIO_SID, TWILIO_TOKEN, wav.read_bytes())
    runtime.settings = runtime.settings.with_(recording_hosts=(server.host,))
    yield server
    server.close()


def drain(runtime, redis, loaded_models, ko_model, **changes):
    settings = runtime.settings.with_(**{"vosk_model_path": ko_model, **changes})
    worker = Runtime(settings)
    worker.services[ModelCache] = loaded_models
    try:
        worker_loop.run(worker, redis, burst=True)
    finally:
        worker.close()


def the_recording(db) -> Recording:
    with db.session() as session:
        return session.scalar(select(Recording))


def test_unwritable_recordings_folder_keeps_the_recording_pending_with_a_reason(
        twilio, at, media, db, runtime, redis, loaded_models, ko_model, tmp_path):
    at(EVENING)
    twilio.call("+819011112222", "+81312345678",
                Script(inputs=[""], message_seconds=11, recording_url=media.url()))
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the recordings folder should be")
    drain(runtime, redis, loaded_models, ko_model, recordings_dir=blocker / "recordings")
    waiting = the_recording(db)
    assert waiting.status == "pending" and waiting.storage_key is None
    assert "Not a directory" in waiting.last_error or "not a directory" in waiting.last_error
    with db.session() as session:
        meta = session.get(Interaction, waiting.interaction_id).meta
        assert meta["transcription"] == "retrying" and meta["last_error"] == waiting.last_error
    assert ScheduledJobRegistry(queue=Queue(jobs.QUEUE, connection=redis)).count == 1
    # The folder is fixed; the scheduled retry (run now rather than in 15 s) succeeds.
    queue = Queue(jobs.QUEUE, connection=redis)
    ScheduledJobRegistry(queue=queue).remove(jobs.job_id(waiting.id))
    jobs.enqueue(queue, waiting.id, waiting.duration)
    drain(runtime, redis, loaded_models, ko_model)
    done = the_recording(db)
    assert done.status == "transcribed" and done.last_error is None and done.attempts == 2


def test_status_callback_before_the_recording_callback(client, twilio, at, media, db, runtime,
                                                       redis, loaded_models, ko_model):
    """Twilio may end the call before it reports the recording: both are kept, in any order."""
    at(EVENING)
    sid = "CA" + "a" * 32
    twilio.post("/twilio/voice", {"CallSid": sid, "From": "+819011112222",
                                  "To": "+81312345678"})
    twilio.post("/twilio/status", {"CallSid": sid, "CallStatus": "completed",
                                   "CallDuration": "30"})
    twilio.post("/twilio/recording?kind=voicemail&mailbox=support&take=1",
                {"CallSid": sid, "RecordingSid": "RE" + "b" * 32, "RecordingUrl": media.url(),
                 "RecordingDuration": "11", "RecordingStatus": "completed",
                 "RecordingChannels": "1"})
    drain(runtime, redis, loaded_models, ko_model)
    with db.session() as session:
        call = session.scalar(select(Call))
        assert call.ended_at is not None and call.status == "completed"
    recording = the_recording(db)
    assert recording.status == "transcribed" and recording.customer_id == call.customer_id


# --- services going away (slow: real processes) ----------------------------------------------

def worker_process(settings, ko_model, redis_url, database_url, log):
    env = {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "HOME": os.environ.get("HOME", "/"), "IVR_ENV": "development",
           "IVR_DATA_DIR": str(settings.data_dir), "DATABASE_URL": database_url,
           "REDIS_URL": redis_url, "TWILIO_ACCOUNT_SID": TWILIO_SID,
           "TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "API_TOKEN": "x", "SECRET_KEY": "x",
           "RECORDING_HOSTS": ",".join(settings.recording_hosts),
           "RECORDINGS_DIR": str(settings.recordings_dir), "VOSK_MODEL_PATH": str(ko_model),
           "WORKER_SWEEP_SECONDS": "1", "WORKER_HEARTBEAT_SECONDS": "1", "LOG_FORMAT": "logfmt"}
    return subprocess.Popen([str(Path(sys.executable).parent / "ivr"), "worker"], env=env,
                            stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_redis_stopped_during_calls_and_callbacks_then_restarted(
        twilio, at, media, db, runtime, ko_model, tmp_path):
    server = EmbeddedRedis(tmp_path / "private-redis")
    url = server.start()
    runtime.settings = runtime.settings.with_(redis_url=url)
    runtime._redis = None
    log = tmp_path / "worker.log"
    worker = worker_process(runtime.settings, ko_model, url, runtime.settings.database_url, log)
    try:
        server.stop()                                          # Redis goes away
        at(EVENING)
        result = twilio.call("+819011112222", "+81312345678",
                             Script(inputs=[""], message_seconds=11, recording_url=media.url()))
        assert all(status < 400 for _, status in result.requests)   # callers still answered
        assert "メッセージをお預かりしました。" in result.said()
        assert the_recording(db).status == "pending"                # kept, not queued
        server.start()                                         # Redis is back: nobody re-queues
        wait_for(lambda: the_recording(db).status != "pending", 120,
                 "the worker to catch up by itself")
        assert the_recording(db).status == "transcribed", log.read_text()[-2000:]
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
        server.stop()


@pytest.mark.slow
def test_postgresql_restarted_mid_call(settings, redis, twiml_schema):
    pg = PrivatePostgres()
    try:
        migrate.upgrade(pg.url)
        rt = Runtime(settings.with_(database_url=pg.url),
                     clock=lambda: dt.datetime(2026, 11, 24, 3, tzinfo=dt.UTC))
        client = create_app(runtime=rt).test_client()
        twilio = Twilio(PUBLIC_BASE_URL, TWILIO_SID, TWILIO_TOKEN, flask_transport(client))
        sid = "CA" + "c" * 32
        base = {"CallSid": sid, "From": "+819011112222", "To": "+81312345678"}
        assert twilio.post("/twilio/voice", base)[0] == 200    # waiting at the main menu
        pg.stop()
        started = time.monotonic()
        status, body = twilio.post("/twilio/step?t=1&on=gather", {**base, "Digits": "3"})
        assert status == 200 and "<Say" in body and time.monotonic() - started < 10  # fast
        validate(twiml_schema, body)
        pg.start()
        # The dead connections are replaced; a retry of the same turn is processed normally.
        status, body = twilio.post("/twilio/step?t=1&on=gather", {**base, "Digits": "3"})
        if "申し訳ございません" in body:   # this process's first request after the restart
            status, body = twilio.post("/twilio/step?t=1&on=gather", {**base, "Digits": "3"})
        assert status == 200 and "店舗の営業時間" in body
        fresh = twilio.call("+819011112222", "+81312345678", Script(inputs=["3"]))
        assert "現在、店舗は営業中です。" in fresh.said()
        with rt.db.session() as session:              # nothing half-written by the failure
            call = session.scalar(select(Call).where(Call.call_sid == sid))
            assert call.turn == 2 and call.state["step"] == "menu"
            assert [e["step"] for e in call.events_of("step")] == [
                "welcome", "greet", "route", "menu", "store_hours", "store_now", "stores_open",
                "menu"]
        rt.close()
    finally:
        pg.destroy()
