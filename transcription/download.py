"""Fetch a Twilio recording with the account's Basic auth, from allow-listed hosts only, into storage.

Redirects are followed by hand so every hop is checked against the allow-list, and the credentials
go only to the origin (scheme, host, port) of the first URL: Twilio may redirect media to a CDN,
which then must be listed in RECORDING_HOSTS too. Plain HTTP is refused except to this machine.
"""

from __future__ import annotations

import ipaddress
import re
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from transcription.errors import DownloadError, HostNotAllowedError, TooLargeError
from voicemail.storage import RecordingStorage

DEFAULT_PORTS = {"https": 443, "http": 80}
NETLOC = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(?P<port>[0-9]{1,5}))?")
REDIRECTS = frozenset({301, 302, 303, 307, 308})
RETRYABLE = frozenset({408, 425, 429})
NOT_AUDIO_TYPES = ("text/", "application/json", "application/xml", "application/problem+json")
CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int


@dataclass(frozen=True)
class DownloadPolicy:
    """Where recordings may come from and how long and large a download may be."""

    allowed_hosts: tuple[str, ...]
    max_bytes: int
    connect_timeout: float = 5.0
    read_timeout: float = 30.0  # longest silence between two received bytes
    total_seconds: float = 600.0  # a trickling server cannot hold a worker longer than this
    max_redirects: int = 5

    @classmethod
    def from_settings(cls, settings, **overrides) -> DownloadPolicy:
        return cls(allowed_hosts=tuple(settings.recording_hosts),
                   max_bytes=settings.recording_max_bytes, **overrides)


@dataclass(frozen=True)
class Downloaded:
    key: str
    size: int
    content_type: str
    url: str  # the URL the bytes finally came from


def media_url(recording_url: str) -> str:
    """Twilio serves a RecordingUrl's WAV at <RecordingUrl>.wav; keep any extension already given."""
    parts = urlsplit(recording_url)
    last = parts.path.rsplit("/", 1)[-1]
    if not last or "." in last:
        return recording_url
    return urlunsplit(parts._replace(path=parts.path + ".wav"))


def check_url(url: str, allowed_hosts: tuple[str, ...] | list[str]) -> Origin:
    """The URL's origin if it may be fetched, else HostNotAllowedError naming the reason."""
    origin = _origin(url)
    if origin.scheme == "http" and not _is_loopback(origin.host):
        raise HostNotAllowedError(f"The recording URL {url} uses plain HTTP; recordings are fetched "
                                  "over HTTPS only (plain HTTP only from this machine).")
    if not any(_matches(entry, origin) for entry in allowed_hosts):
        raise HostNotAllowedError(f"The recording URL {url} points to {origin.host}:{origin.port}, "
                                  f"which is not in RECORDING_HOSTS ({', '.join(allowed_hosts) or 'empty'}).")
    return origin


def _origin(url: str) -> Origin:
    """Parse strictly: no userinfo, no odd characters, and urllib3 must read the same host and port."""
    if any(c.isspace() or ord(c) < 32 or c == "\\" for c in url):
        raise HostNotAllowedError(f"The recording URL {url!r} contains whitespace, control characters "
                                  "or backslashes.")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    match = NETLOC.fullmatch(parts.netloc)
    if scheme not in DEFAULT_PORTS or not match:
        raise HostNotAllowedError(f"The recording URL {url!r} is not a plain http(s)://host[:port]/ URL "
                                  "(user names, passwords and other schemes are refused).")
    host = match["host"].strip("[]").lower()
    port = int(match["port"]) if match["port"] else DEFAULT_PORTS[scheme]
    if not 0 < port < 65536:
        raise HostNotAllowedError(f"The recording URL {url!r} has an invalid port {port}.")
    try:
        seen = parse_url(url)  # what requests will connect to
    except LocationParseError:
        seen = None
    if not seen or (seen.host or "").strip("[]").lower() != host or (seen.port or port) != port:
        raise HostNotAllowedError(f"The recording URL {url!r} is ambiguous about its host.")
    return Origin(scheme=scheme, host=host, port=port)


def _matches(entry: str, origin: Origin) -> bool:
    """An entry "host" allows the scheme's default port only; "host:port" exactly that port."""
    match = NETLOC.fullmatch(entry.strip())
    if not match:
        return False
    port = int(match["port"]) if match["port"] else DEFAULT_PORTS[origin.scheme]
    return match["host"].strip("[]").lower() == origin.host and port == origin.port


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def download_recording(recording_url: str, storage: RecordingStorage, key: str, *,
                       auth: tuple[str, str], policy: DownloadPolicy,
                       session: requests.Session | None = None,
                       temp_dir: str | Path | None = None) -> Downloaded:
    """Stream the recording to a temporary file within the limits, then put it in storage under key."""
    url = media_url(recording_url)
    first = check_url(url, policy.allowed_hosts)
    deadline = time.monotonic() + policy.total_seconds
    with ExitStack() as cleanup:
        if session is None:
            session = cleanup.enter_context(requests.Session())
        response = cleanup.enter_context(_fetch(session, url, first, auth, policy))
        temp = cleanup.enter_context(_temporary_file(temp_dir))
        size = _save(response, temp, policy, deadline)
        temp.seek(0)
        storage.put(key, temp)
        return Downloaded(key=key, size=size, url=response.url,
                          content_type=response.headers.get("Content-Type", ""))


def _temporary_file(folder: str | Path | None):
    try:
        return tempfile.TemporaryFile(dir=folder)
    except OSError as exc:
        raise DownloadError(f"No temporary file could be created for the download ({exc.strerror}).",
                            permanent=False) from exc


def _fetch(session: requests.Session, url: str, first: Origin, auth: tuple[str, str],
           policy: DownloadPolicy) -> requests.Response:
    """GET, following redirects by hand; credentials only ever go to the first URL's origin."""
    for _ in range(policy.max_redirects + 1):
        origin = check_url(url, policy.allowed_hosts)
        response = _get(session, url, auth if origin == first else None, policy)
        if response.status_code not in REDIRECTS:
            _check_response(response, url)
            return response
        location = response.headers.get("Location")
        response.close()
        if not location:
            raise DownloadError(f"The recording URL {url} redirected (HTTP {response.status_code}) "
                                "without saying where.", permanent=True, status=response.status_code)
        url = urljoin(url, location)
    raise DownloadError(f"The recording URL redirected more than {policy.max_redirects} times "
                        f"(last to {url}).", permanent=True)


def _get(session: requests.Session, url: str, auth: tuple[str, str] | None,
         policy: DownloadPolicy) -> requests.Response:
    try:
        return session.get(url, auth=auth, stream=True, allow_redirects=False,
                           timeout=(policy.connect_timeout, policy.read_timeout),
                           headers={"Accept-Encoding": "identity"})
    except requests.Timeout as exc:
        raise DownloadError(f"The recording server at {url} did not answer in time ({exc}).") from exc
    except requests.exceptions.InvalidURL as exc:
        raise DownloadError(f"The recording URL {url} is invalid ({exc}).", permanent=True) from exc
    except requests.RequestException as exc:
        raise DownloadError(f"The recording server at {url} could not be reached ({exc}).") from exc


def _check_response(response: requests.Response, url: str) -> None:
    """Map the status to permanent (4xx) or transient (5xx, 408, 429) errors; refuse web pages."""
    status = response.status_code
    if status == 200:
        content_type = response.headers.get("Content-Type", "").lower()
        if content_type.startswith(NOT_AUDIO_TYPES):
            response.close()
            raise DownloadError(f"The recording URL {url} returned {content_type} instead of audio.",
                                permanent=True, status=status)
        return
    response.close()
    if status in (401, 403):
        message = (f"The recording server refused the Twilio credentials (HTTP {status}) for {url}; "
                   "check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.")
    elif status in (404, 410):
        message = f"The recording at {url} does not exist (HTTP {status}); it may have been deleted."
    else:
        message = f"The recording server answered HTTP {status} {response.reason} for {url}."
    retry = status >= 500 or status in RETRYABLE
    raise DownloadError(message, permanent=not retry, status=status)


def _save(response: requests.Response, out, policy: DownloadPolicy, deadline: float) -> int:
    """Copy the body, enforcing the byte limit (declared and actual) and the overall deadline."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > policy.max_bytes:
        raise TooLargeError(f"The recording is {int(declared)} bytes, more than the "
                            f"{policy.max_bytes} bytes allowed (RECORDING_MAX_BYTES).")
    size = 0
    try:
        for chunk in response.iter_content(CHUNK_BYTES):
            size += len(chunk)
            if size > policy.max_bytes:
                raise TooLargeError(f"The recording is larger than the {policy.max_bytes} bytes allowed "
                                    "(RECORDING_MAX_BYTES); the download was stopped.")
            if time.monotonic() > deadline:
                raise DownloadError(f"The recording download took longer than {policy.total_seconds:.0f} "
                                    f"seconds and was stopped after {size} bytes.")
            out.write(chunk)
    except requests.RequestException as exc:
        raise DownloadError(f"The recording download was interrupted after {size} bytes ({exc}).") from exc
    except OSError as exc:
        raise DownloadError(f"The recording could not be written to a temporary file ({exc.strerror}).",
                            permanent=False) from exc
    return size
