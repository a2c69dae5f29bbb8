"""A stand-in for api.twilio.com's recording media: Basic auth, <RecordingUrl>.wav, else 404."""

from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.servers import stop


class FakeTwilioMedia:
    def __init__(self, account_sid: str, auth_token: str, body: bytes = b""):
        self.body = body
        self.status = 200
        self.account_sid = account_sid
        self.requests: list[str] = []
        expected = "Basic " + base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        media = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 -- http.server's naming
                media.requests.append(self.path)
                if self.headers.get("Authorization") != expected:
                    return self._reply(401)
                if media.status != 200 or not self.path.endswith(".wav"):
                    return self._reply(media.status if media.status != 200 else 404)
                self._reply(200, media.body)

            def _reply(self, status: int, body: bytes = b"") -> None:
                self.send_response(status)
                self.send_header("Content-Type", "audio/x-wav" if status == 200 else "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.host = f"127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, sid: str = "RE" + "0" * 32) -> str:
        return (f"http://{self.host}/2010-04-01/Accounts/{self.account_sid}/Recordings/{sid}")

    def close(self) -> None:
        stop(self.server)
