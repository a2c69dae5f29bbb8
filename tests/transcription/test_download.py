"""Downloading recordings from a real local HTTP server that checks Basic auth like Twilio does."""

from __future__ import annotations

import base64
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.processes import free_port
from tests.support.servers import stop
from tests.transcription.conftest import JFK
from transcription.audio import load_audio
from transcription.download import DownloadPolicy, check_url, download_recording, media_url
from transcription.errors import DownloadError, HostNotAllowedError, TooLargeError, is_permanent
from voicemail.storage import LocalStorage

RECORDING = "/2010-04-01/Accounts/AC1/Recordings/RE1"
MAX_BYTES = 400_000  # jfk.wav is 352,078 bytes
AUDIO_BYTES = JFK.read_bytes()
TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "test-auth-token-0123456789abcdef"
AUTH = (TWILIO_SID, TWILIO_TOKEN)


class Server:
    """A ThreadingHTTPServer on 127.0.0.1 with a routing table of path -> handler(request)."""

    def __init__(self, routes):
        self.routes = routes
        self.seen: list[tuple[str, str | None]] = []  # (path, Authorization header)
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.seen.append((self.path, self.headers.get("Authorization")))
                route = server.routes.get(self.path.split("?")[0])
                if route is None:
                    return self.send_error(404)
                route(self)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        stop(self.httpd)


def send(request, status=200, body=b"", content_type="audio/x-wav", headers=(), length=True):
    request.send_response(status)
    request.send_header("Content-Type", content_type)
    if length:
        request.send_header("Content-Length", str(len(body)))
    for name, value in headers:
        request.send_header(name, value)
    request.end_headers()
    request.wfile.write(body)


def authorized(request) -> bool:
    expected = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
    if request.headers.get("Authorization") == expected:
        return True
    send(request, 401, b'{"code": 20003, "message": "Authenticate"}', "application/json",
         [("WWW-Authenticate", 'Basic realm="Twilio API"')])
    return False


def recording(request):
    if authorized(request):
        send(request, body=AUDIO_BYTES)


def redirect(location, status=302):
    return lambda request: send(request, status, headers=[("Location", location)])


def status(code):
    return lambda request: send(request, code, b"{}", "application/json")


def oversize_declared(request):
    send(request, body=b"RIFF", headers=[("Content-Length", str(MAX_BYTES + 1))], length=False)


def oversize_streamed(request):
    request.protocol_version = "HTTP/1.0"  # no Content-Length: the body ends when the socket closes
    send(request, length=False)
    for _ in range(MAX_BYTES // 65536 + 2):
        request.wfile.write(b"\0" * 65536)


def stall_before_headers(request):
    request.server.owner.release.wait(5)


def stall_in_body(request):
    request.send_response(200)
    request.send_header("Content-Length", str(len(AUDIO_BYTES)))
    request.end_headers()
    request.wfile.write(AUDIO_BYTES[:1000])
    request.wfile.flush()
    request.server.owner.release.wait(5)


@pytest.fixture(scope="module")
def cdn():
    """A second origin, like Twilio's media CDN: serves signed URLs without Basic auth."""
    with Server({"/media/RE1": lambda r: send(r, body=AUDIO_BYTES)}) as server:
        yield server


@pytest.fixture(scope="module")
def twilio(cdn):
    closed = free_port()
    routes = {
        RECORDING + ".wav": recording,
        "/same-origin.wav": redirect(RECORDING + ".wav"),
        "/to-cdn.wav": redirect(cdn.url("/media/RE1"), 307),
        "/to-evil.wav": redirect("https://evil.test/RE1.wav"),
        "/to-other-port.wav": redirect(f"http://127.0.0.1:{closed}/RE1.wav"),
        "/loop.wav": redirect("/loop.wav"),
        "/html.wav": lambda r: authorized(r) and send(r, body=b"<html>maintenance</html>",
                                                      content_type="text/html"),
        "/big-declared.wav": oversize_declared,
        "/big-streamed.wav": oversize_streamed,
        "/stall-headers.wav": stall_before_headers,
        "/stall-body.wav": stall_in_body,
        **{f"/status/{code}.wav": status(code) for code in (403, 404, 410, 429, 500, 503)},
    }
    with Server(routes) as server:
        yield server


@pytest.fixture
def policy(twilio, cdn):
    return DownloadPolicy(allowed_hosts=(f"127.0.0.1:{twilio.port}", f"127.0.0.1:{cdn.port}"),
                          max_bytes=MAX_BYTES, read_timeout=0.5, connect_timeout=1.0)


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(tmp_path / "recordings")


def fetch(twilio, storage, policy, path, auth=AUTH, **kw):
    return download_recording(twilio.url(path), storage, "calls/RE1.wav", auth=auth, policy=policy, **kw)


def test_recording_url_gets_wav_appended_and_is_fetched_with_basic_auth(twilio, storage, policy):
    done = fetch(twilio, storage, policy, RECORDING)
    assert (done.key, done.size, done.content_type) == ("calls/RE1.wav", len(AUDIO_BYTES), "audio/x-wav")
    assert done.url == twilio.url(RECORDING + ".wav")
    with storage.open("calls/RE1.wav") as stored:
        assert stored.size == len(AUDIO_BYTES) and stored.stream.read() == AUDIO_BYTES
    assert load_audio(storage.local_path("calls/RE1.wav")).duration == pytest.approx(11.0)


def test_wrong_credentials_are_a_permanent_error(twilio, storage, policy):
    with pytest.raises(DownloadError, match="refused the Twilio credentials \\(HTTP 401\\)") as e:
        fetch(twilio, storage, policy, RECORDING, auth=(TWILIO_SID, "wrong-token"))
    assert e.value.permanent and e.value.status == 401
    assert not storage.exists("calls/RE1.wav")


def test_same_origin_redirect_keeps_the_credentials(twilio, storage, policy):
    assert fetch(twilio, storage, policy, "/same-origin.wav").size == len(AUDIO_BYTES)


def test_credentials_never_follow_a_redirect_to_another_origin(twilio, cdn, storage, policy):
    cdn.seen.clear()
    done = fetch(twilio, storage, policy, "/to-cdn.wav")
    assert done.url == cdn.url("/media/RE1") and done.size == len(AUDIO_BYTES)
    assert cdn.seen == [("/media/RE1", None)]


@pytest.mark.parametrize("path, reason", [
    ("/to-evil.wav", "points to evil.test:443, which is not in RECORDING_HOSTS"),
    ("/to-other-port.wav", "which is not in RECORDING_HOSTS"),
])
def test_redirects_outside_the_allow_list_are_refused(twilio, storage, policy, path, reason):
    with pytest.raises(HostNotAllowedError, match=reason) as e:
        fetch(twilio, storage, policy, path)
    assert is_permanent(e.value) and not storage.exists("calls/RE1.wav")


def test_redirect_loops_end(twilio, storage, policy):
    with pytest.raises(DownloadError, match="redirected more than 5 times") as e:
        fetch(twilio, storage, policy, "/loop.wav")
    assert e.value.permanent


@pytest.mark.parametrize("path", ["/big-declared.wav", "/big-streamed.wav"])
def test_oversize_recordings_are_refused_with_or_without_content_length(twilio, storage, policy, path):
    with pytest.raises(TooLargeError, match=f"{MAX_BYTES} bytes allowed") as e:
        fetch(twilio, storage, policy, path)
    assert e.value.permanent and not storage.exists("calls/RE1.wav")


@pytest.mark.parametrize("path", ["/stall-headers.wav", "/stall-body.wav"])
def test_a_stalling_server_times_out_as_a_transient_error(twilio, storage, policy, path):
    started = time.monotonic()
    with pytest.raises(DownloadError) as e:
        fetch(twilio, storage, policy, path)
    assert not e.value.permanent and time.monotonic() - started < 3
    assert "time" in str(e.value).lower() and not storage.exists("calls/RE1.wav")


def test_total_download_time_is_bounded(twilio, storage, policy):
    slow = DownloadPolicy(allowed_hosts=policy.allowed_hosts, max_bytes=MAX_BYTES, total_seconds=0.0)
    with pytest.raises(DownloadError, match="took longer than 0 seconds") as e:
        fetch(twilio, storage, slow, RECORDING)
    assert not e.value.permanent


@pytest.mark.parametrize("code, permanent", [(403, True), (404, True), (410, True), (429, False),
                                             (500, False), (503, False)])
def test_http_errors_are_permanent_or_transient_by_status(twilio, storage, policy, code, permanent):
    with pytest.raises(DownloadError, match=f"HTTP {code}") as e:
        fetch(twilio, storage, policy, f"/status/{code}.wav")
    assert (e.value.permanent, e.value.status) == (permanent, code)


def test_a_web_page_instead_of_audio_is_refused(twilio, storage, policy):
    with pytest.raises(DownloadError, match="returned text/html instead of audio") as e:
        fetch(twilio, storage, policy, "/html.wav")
    assert e.value.permanent


def test_connection_refused_is_transient(storage):
    port = free_port()
    policy = DownloadPolicy(allowed_hosts=(f"127.0.0.1:{port}",), max_bytes=MAX_BYTES)
    with pytest.raises(DownloadError, match="could not be reached") as e:
        download_recording(f"http://127.0.0.1:{port}/RE1", storage, "RE1.wav", auth=AUTH, policy=policy)
    assert not e.value.permanent


TWILIO = ("api.twilio.com", "media.twiliocdn.com:443", "127.0.0.1:8080")


@pytest.mark.parametrize("url", [
    "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
    "https://API.Twilio.com:443/2010-04-01/Accounts/AC1/Recordings/RE1.wav",
    "https://media.twiliocdn.com/AC1/abc?x-amz-security-token=a%2Fb",
    "http://127.0.0.1:8080/RE1.wav",
    "https://127.0.0.1:8080/RE1.wav",  # an entry with a port allows that port for either scheme
])
def test_allowed_urls(url):
    check_url(url, TWILIO)


@pytest.mark.parametrize("url, reason", [
    ("https://api.twilio.com@evil.test/RE1", "user names, passwords"),
    ("https://user:secret@api.twilio.com/RE1", "user names, passwords"),
    ("https://evil.test\\@api.twilio.com/RE1", "backslashes"),
    ("https://api.twilio.com:8443/RE1", "api.twilio.com:8443, which is not in RECORDING_HOSTS"),
    ("https://api.twilio.com.evil.test/RE1", "not in RECORDING_HOSTS"),
    ("https://api.twilio.com%2eevil.test/RE1", "not a plain http"),
    ("https://54.172.60.0/RE1", "54.172.60.0:443, which is not in RECORDING_HOSTS"),
    ("https://[::1]/RE1", "::1:443, which is not"),
    ("https://2130706433:8080/RE1", "2130706433:8080, which is not"),  # 127.0.0.1 spelt as a number
    ("https://127.1:8080/RE1", "127.1:8080, which is not"),
    ("http://localhost:8080/RE1", "localhost:8080, which is not"),
    ("http://api.twilio.com/RE1", "plain HTTP"),
    ("ftp://api.twilio.com/RE1", "not a plain http"),
    ("https://api.twilio.com:99999/RE1", "invalid port"),
    ("https://api.twilio.com /RE1", "whitespace"),
])
def test_refused_urls(url, reason):
    with pytest.raises(HostNotAllowedError, match=reason.replace("(", "\\(")) as e:
        check_url(url, TWILIO)
    assert e.value.permanent


@pytest.mark.parametrize("given, expected", [
    ("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
     "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1.wav"),
    ("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1.mp3",
     "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1.mp3"),
    ("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1?RequestedChannels=2",
     "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1.wav?RequestedChannels=2"),
])
def test_media_url(given, expected):
    assert media_url(given) == expected
