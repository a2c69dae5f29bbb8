"""The Procfile, run for real: release, then web (gunicorn, 2 workers) and worker under honcho,
in production mode, taking a call over HTTP through to a transcribed voicemail."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from honcho.environ import parse_procfile
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from bench.processes import free_port, wait_for
from ivr.twilio.simulator import Script, Twilio, http_transport
from tests.support.fake_twilio_media import FakeTwilioMedia
from voicemail.models import Recording

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
SECRETS = {"TWILIO_ACCOUNT_SID": "AC" + "7" * 32, "TWILIO_AUTH_TOKEN": "procfile-token",
           "API_TOKEN": "procfile-api-token", "SECRET_KEY": "procfile-secret"}


@pytest.fixture
def deploy_db(database_url, tmp_path):
    """A database of its own, empty, as a fresh PaaS add-on would be."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'paas.sqlite3'}"
        return
    name = "ivr_procfile_test"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield database_url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_procfile_processes_take_a_call_to_a_transcribed_voicemail(
        deploy_db, redis_url, redis, ko_model, tmp_path):
    procfile = parse_procfile((ROOT / "Procfile").read_text())
    assert set(procfile.processes) == {"web", "worker", "release"}
    port = free_port()
    wav = tmp_path / "vm.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i",
                    str(ROOT / "tests/data/audio/jfk.wav"), "-ar", "8000", "-ac", "1", str(wav)],
                   check=True)
    media = FakeTwilioMedia(SECRETS["TWILIO_ACCOUNT_SID"], SECRETS["TWILIO_AUTH_TOKEN"],
                            wav.read_bytes())
    env = {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "HOME": os.environ.get("HOME", "/"), **SECRETS, "IVR_ENV": "production",
           "PORT": str(port), "WEB_CONCURRENCY": "2",
           "DATABASE_URL": deploy_db.replace("postgresql+psycopg://", "postgres://"),
           "REDIS_URL": redis_url, "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
           "VOSK_MODEL_PATH": str(ko_model), "RECORDING_HOSTS": media.host,
           "RECORDINGS_DIR": str(tmp_path / "recordings"), "IVR_DATA_DIR": str(tmp_path),
           "FLOWS_DIR": str(ROOT / "flows"), "LOG_FORMAT": "json"}
    release = subprocess.run(procfile.processes["release"], shell=True, env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
    assert release.returncode == 0, release.stderr
    log_path = tmp_path / "honcho.log"
    with open(log_path, "w") as log:
        honcho = subprocess.Popen([str(Path(sys.executable).parent / "honcho"), "start",
                                   "--no-colour", "-f", str(ROOT / "Procfile"), "web", "worker"],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        _wait_ready(port, honcho, log_path)
        twilio = Twilio(f"http://127.0.0.1:{port}", SECRETS["TWILIO_ACCOUNT_SID"],
                        SECRETS["TWILIO_AUTH_TOKEN"], http_transport())
        result = twilio.call("+819011112222", "+81312345678",
                             Script(inputs=["0", "1"], message_seconds=11,
                                    queue_step_seconds=100, recording_url=media.url()))
        assert all(status < 400 for _, status in result.requests), result.requests
        assert result.said()[-2:] == ["メッセージをお預かりしました。", "お電話ありがとうございました。"]
        recording = _wait_transcribed(deploy_db, result.call_sid)
        assert recording.status == "transcribed", recording.failure_reason
        assert requests.get(f"http://127.0.0.1:{port}/api/tickets", timeout=5).status_code == 401
        tickets = requests.get(f"http://127.0.0.1:{port}/api/tickets", timeout=5,
                               headers={"Authorization": f"Bearer {SECRETS['API_TOKEN']}"})
        assert tickets.status_code == 200
    finally:
        os.killpg(honcho.pid, signal.SIGTERM)   # what the platform does on deploy
        honcho.wait(timeout=60)
        media.close()
    lines = log_path.read_text().splitlines()
    events = [json.loads(line.split("| ", 1)[1]) for line in lines
              if "| {" in line and line.split("| ", 1)[1].startswith("{")]
    voice = [e for e in events if e.get("event") == "request" and e.get("path") == "/twilio/voice"]
    assert voice and voice[0]["call_sid"] == result.call_sid and voice[0]["request_id"]
    assert any(e.get("event") == "recording transcribed" for e in events)
    assert any("warm shut down requested" in e.get("event", "") for e in events)  # SIGTERM
    assert not any(e.get("logger") == "gunicorn.access" for e in events)  # one line per request


def _wait_ready(port: int, process: subprocess.Popen, log_path: Path) -> None:
    try:
        wait_for(f"http://127.0.0.1:{port}/readyz", process=process)
    except RuntimeError as exc:
        raise AssertionError(f"web never became ready ({exc}):\n"
                             + log_path.read_text()[-3000:]) from None


def _wait_transcribed(url: str, call_sid: str) -> Recording:
    engine = create_engine(url)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            with Session(engine) as session:
                recording = session.scalar(select(Recording).where(Recording.call_sid == call_sid))
                if recording is not None and recording.status != "pending":
                    return recording
            time.sleep(0.5)
    finally:
        engine.dispose()
    raise AssertionError(f"recording of {call_sid} was not transcribed within 120 s")
