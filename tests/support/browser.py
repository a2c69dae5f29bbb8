"""Browser tests: the app on a real HTTP port, driven by Playwright in Debian's headless chromium."""

from __future__ import annotations

import shutil
import threading

from werkzeug.serving import make_server

from tests.support.servers import stop

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--lang=ja-JP"]



class LiveServer:
    """A threaded HTTP server for one app, on localhost (secure cookies are allowed there)."""

    def __init__(self, app):
        self.server = make_server("localhost", 0, app, threaded=True)
        self.url = f"http://localhost:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        stop(self.server)
        self.thread.join(timeout=5)


def chromium_path() -> str:
    path = shutil.which("chromium")
    assert path, "Debian's chromium is not installed (scripts/test installs it)"
    return path
