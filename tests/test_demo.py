"""The README's run command on embedded defaults: SQLite, an embedded Redis, web and worker,
and a sample call that ends as a transcribed voicemail on a ticket; Ctrl-C stops it all."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def test_demo_runs_everything_on_embedded_defaults(tmp_path):
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "HOME": os.environ.get("HOME", "/")}        # no DATABASE_URL, no REDIS_URL, no secrets
    out = tmp_path / "demo.log"
    demo = subprocess.Popen([str(Path(sys.executable).parent / "ivr"), "demo", "--port", str(port)],
                            cwd=tmp_path, env=env, stdout=open(out, "wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while "voicemail transcribed onto ticket" not in out.read_text(errors="replace"):
            assert demo.poll() is None, out.read_text()[-4000:]
            assert time.monotonic() < deadline, out.read_text()[-4000:]
            time.sleep(0.5)
        text = out.read_text()
        assert f"Contact center running at http://localhost:{port}" in text
        assert "login demo / " in text
        secrets = json.loads((tmp_path / "data" / "dev-secrets.json").read_text())
        base = f"http://127.0.0.1:{port}"
        ready = requests.get(f"{base}/readyz", timeout=5).json()
        assert ready["status"] == "ready" and set(ready["checks"]["flows"]["flows"]) == {
            "support", "english"}
        auth = {"Authorization": f"Bearer {secrets['API_TOKEN']}"}
        found = requests.get(f"{base}/api/customers/lookup", params={"phone": "090-1234-5678"},
                             headers=auth, timeout=5).json()
        assert found["customer"]["name"] == "山田花子"
        timeline = requests.get(f"{base}/api/customers/{found['customer']['id']}/timeline",
                                headers=auth, timeout=5).json()["interactions"]
        voicemail = next(i for i in timeline if i["channel"] == "voicemail")
        email = next(i for i in timeline if i["channel"] == "email")
        assert voicemail["text"].strip()                   # transcribed by the real model
        assert voicemail["ticket_id"] == email["ticket_id"]  # the call joined yesterday's email
        assert (tmp_path / "data" / "ivr.sqlite3").exists()
        assert (tmp_path / "data" / "redis" / "redis.sock").exists()
    finally:
        os.killpg(demo.pid, signal.SIGINT)             # Ctrl-C in the terminal
        demo.wait(timeout=60)
    assert not (tmp_path / "data" / "redis" / "redis.sock").exists() or not _answers(
        tmp_path / "data" / "redis" / "redis.sock")


def _answers(socket_path: Path) -> bool:
    client = socket.socket(socket.AF_UNIX)
    try:
        client.connect(str(socket_path))
        return True
    except OSError:
        return False
    finally:
        client.close()
