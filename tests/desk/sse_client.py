"""A signed-in agent's event stream over real HTTP, read in a thread (as a browser tab would)."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from urllib.parse import urlsplit

import requests

from tests.desk.desk_helpers import PASSWORD


def signed_in_session(base_url: str, username: str) -> requests.Session:
    http = requests.Session()
    html = http.get(f"{base_url}/login", timeout=10).text
    _plain_http(http)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)
    answer = http.post(f"{base_url}/login", allow_redirects=False, timeout=10, data={
        "username": username, "password": PASSWORD, "csrf_token": token, "next": ""})
    assert answer.status_code == 302, answer.text
    _plain_http(http)
    return http


def _plain_http(http: requests.Session) -> None:
    """The test app's cookies are Secure (https base URL); browsers allow them on localhost,
    requests does not, so clear the flag as a browser effectively does here."""
    for cookie in http.cookies:
        cookie.secure = False


class EventStream:
    """GET /desk/events on a plain socket (closable from another thread, unlike requests'
    streamed responses); `events` fills with (event name, data) as they arrive."""

    def __init__(self, http: requests.Session, base_url: str):
        parts = urlsplit(base_url)
        cookies = "; ".join(f"{c.name}={c.value}" for c in http.cookies)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
        self.sock.sendall((f"GET /desk/events HTTP/1.0\r\nHost: {parts.netloc}\r\n"
                           f"Accept: text/event-stream\r\nCookie: {cookies}\r\n\r\n").encode())
        self.file = self.sock.makefile("rb")
        status = self.file.readline().decode()
        assert " 200 " in status, status
        self.events: list[tuple[str, dict]] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        name = None
        try:
            for raw in self.file:
                line = raw.decode("utf-8").rstrip("\r\n")
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: ") and name:
                    self.events.append((name, json.loads(line[6:])))
        except (OSError, ValueError):
            pass  # closed by the test

    def wait_for(self, name: str, timeout: float = 5.0, **match) -> dict | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for kind, data in list(self.events):
                if kind == name and all(data.get(k) == v for k, v in match.items()):
                    return data
            time.sleep(0.02)
        return None

    def names(self) -> list[str]:
        return [kind for kind, _ in self.events]

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(timeout=5)
