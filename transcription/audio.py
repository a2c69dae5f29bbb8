"""Recordings in, per-channel PCM out: validated, then resampled once by ffmpeg to the model's rate.

Why ffmpeg resamples (not pydub, not Vosk): pydub's `set_frame_rate` is `audioop.ratecv`, a linear
interpolator that leaves a mirror image of the 0-4 kHz telephone band at about -7 dB in 4-8 kHz
(measured on a 3 kHz tone), which a 16 kHz model's filterbank (up to 7.6 kHz) reads as speech energy.
ffmpeg's resampler puts that image below -95 dB. Letting Kaldi resample (KaldiRecognizer(model, 8000))
is as fast, but only works for models whose mfcc.conf says `--allow-upsample=true` (the small
models do not, and fail with "Sampling frequency mismatch"), so one normalized form for every model
is simpler and safe. The ffmpeg run costs ~0.1 s per file; decoding costs seconds.
pydub supplies the located ffmpeg/ffprobe binaries (`AudioSegment.converter`, `get_prober_name`).
"""

from __future__ import annotations

import codecs
import json
import re
import struct
import subprocess
import sys
import tempfile
from array import array
from dataclasses import dataclass
from pathlib import Path

from pydub import AudioSegment
from pydub.utils import get_prober_name

from transcription.errors import AudioError, TranscriptionError

DEFAULT_SAMPLE_RATE = 16000
DEFAULT_MAX_SECONDS = 2 * 60 * 60  # 2 h of dual-channel 16 kHz PCM is ~460 MB in memory
SAMPLE_WIDTH = 2  # 16-bit PCM, what Vosk's AcceptWaveform expects
MAX_CHANNELS = 2
READ_BYTES = 1 << 16
SNIFF_BYTES = 512
WAV_HEADER_BYTES = 4096
WAVE_FORMAT_PCM = 1
LOG_PREFIX = re.compile(r"^\[[^\]]* @ 0x[0-9a-f]+\] ")
TEXT_KINDS = (("<!doctype html", "an HTML page"), ("<html", "an HTML page"),
              ("<?xml", "an XML document"), ("{", "a JSON document"), ("[", "a JSON document"))


@dataclass(frozen=True)
class Audio:
    """A decoded recording: one mono 16-bit little-endian PCM buffer per channel, all at sample_rate."""

    channels: tuple[bytes, ...]
    sample_rate: int
    duration: float
    source_format: str
    source_rate: int

    @property
    def channel_count(self) -> int:
        return len(self.channels)


@dataclass(frozen=True)
class Probe:
    """What the container says before decoding: enough to refuse a file early."""

    channels: int
    rate: int
    duration: float | None
    format_name: str


def load_audio(path: str | Path, *, sample_rate: int = DEFAULT_SAMPLE_RATE,
               max_seconds: float = DEFAULT_MAX_SECONDS) -> Audio:
    """Validate a recording and normalize each channel, raising AudioError with a reason agents can read."""
    path = Path(path)
    _check_bytes(path)
    probe = _probe_pcm_wav(path) or _probe(path)
    if not 1 <= probe.channels <= MAX_CHANNELS:
        raise AudioError(f"The recording has {probe.channels} audio channels; only mono and dual-channel "
                         "recordings can be transcribed.")
    if probe.duration is not None and probe.duration > max_seconds:
        raise _too_long(probe.duration, max_seconds)
    pcm = _decode(path, probe.channels, sample_rate, max_seconds)
    duration = len(pcm[0]) / (SAMPLE_WIDTH * sample_rate)
    if duration == 0:
        raise AudioError("The recording contains no audio samples (0 seconds of sound).")
    if duration > max_seconds:
        raise _too_long(duration, max_seconds)
    return Audio(channels=pcm, sample_rate=sample_rate, duration=duration,
                 source_format=probe.format_name, source_rate=probe.rate)


def _check_bytes(path: Path) -> None:
    """Catch the cheap cases before ffmpeg: missing, empty, or a text page saved as a recording."""
    try:
        with path.open("rb") as f:
            head = f.read(SNIFF_BYTES)
    except FileNotFoundError:
        raise AudioError(f"The recording file {path} does not exist.") from None
    except OSError as exc:
        raise TranscriptionError(f"The recording file {path} could not be read ({exc.strerror}).",
                                 permanent=False) from exc
    if not head:
        raise AudioError("The recording is empty (0 bytes).")
    kind = _text_kind(head)
    if kind:
        snippet = head[:60].decode("utf-8", "replace").strip().replace("\n", " ")
        raise AudioError(f"The recording is not audio but {kind} (it begins {snippet!r}).")


def _text_kind(head: bytes) -> str | None:
    """Name the kind of text document `head` starts, or None when it may be audio."""
    if b"\0" in head:
        return None
    try:  # incremental: a multi-byte character cut at the sniff boundary is not an error
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return None
    if not all(c.isprintable() or c.isspace() for c in text):
        return None
    lowered = text.lstrip().lower()
    return next((name for prefix, name in TEXT_KINDS if lowered.startswith(prefix)), "a text file")


def _probe_pcm_wav(path: Path) -> Probe | None:
    """Read a plain PCM WAV header in-process (Twilio's format), saving an ffprobe start (~0.1 s).

    Anything unusual (mp3, u-law, extensible, damaged chunks) returns None and ffprobe decides.
    """
    with path.open("rb") as f:
        head = f.read(WAV_HEADER_BYTES)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    offset, fmt = 12, None
    while offset + 8 <= len(head):
        kind, size = head[offset:offset + 4], int.from_bytes(head[offset + 4:offset + 8], "little")
        body = offset + 8
        if kind == b"fmt " and size >= 16 and body + 16 <= len(head):
            fmt = struct.unpack_from("<HHIIHH", head, body)  # format, channels, rate, byte rate, align, bits
        elif kind == b"data":
            if not fmt or fmt[0] != WAVE_FORMAT_PCM or not fmt[1] or not fmt[2] or not fmt[4]:
                return None
            # A streamed WAV may declare 0xFFFFFFFF bytes of data; the file size bounds the truth.
            frames = min(size, path.stat().st_size - body) // fmt[4]
            return Probe(channels=fmt[1], rate=fmt[2], duration=frames / fmt[2], format_name="wav")
        offset = body + size + (size & 1)
    return None


def _probe(path: Path) -> Probe:
    """The first audio stream as ffprobe reports it."""
    args = [get_prober_name(), "-v", "error", "-of", "json", "-show_streams", "-show_format",
            "-select_streams", "a", f"file:{path}"]
    result = _run(args)
    if result.returncode != 0:
        raise _undecodable(result.stderr)
    info = json.loads(result.stdout or b"{}")
    streams = info.get("streams") or []
    container = info.get("format") or {}
    if not streams:
        raise AudioError(f"The recording contains no audio stream (ffmpeg reads it as "
                         f"{container.get('format_name', 'an unknown format')}).")
    stream = streams[0]
    return Probe(channels=int(stream.get("channels") or 0), rate=int(stream.get("sample_rate") or 0),
                 duration=_float(stream.get("duration")) or _float(container.get("duration")),
                 format_name=str(container.get("format_name", "unknown")))


def _decode(path: Path, channels: int, sample_rate: int, max_seconds: float) -> tuple[bytes, ...]:
    """Decode the first audio stream to s16le at sample_rate, split per channel while reading."""
    args = [AudioSegment.converter, "-nostdin", "-v", "error", "-i", f"file:{path}",
            "-map", "0:a:0", "-vn", "-t", f"{max_seconds + 1:.3f}", "-af", f"aresample={sample_rate}",
            "-ac", str(channels), "-c:a", "pcm_s16le", "-f", "s16le", "pipe:1"]
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: ffmpeg never blocks on its own log
        try:
            proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors)
        except FileNotFoundError:
            raise _no_tool(args[0]) from None
        with proc:
            pcm = _deinterleave(proc.stdout, channels)
        errors.seek(0)
        if proc.returncode != 0:
            raise _undecodable(errors.read())
    return pcm


def _deinterleave(stream, channels: int) -> tuple[bytes, ...]:
    """Split interleaved 16-bit frames into one buffer per channel, chunk by chunk (bounded memory)."""
    outputs = [bytearray() for _ in range(channels)]
    frame = SAMPLE_WIDTH * channels
    pending = b""
    while chunk := stream.read(READ_BYTES):
        data = pending + chunk
        usable = len(data) - len(data) % frame
        pending = data[usable:]
        if channels == 1:
            outputs[0] += data[:usable]
            continue
        samples = array("h", data[:usable])
        for index, output in enumerate(outputs):
            part = samples[index::channels]
            if sys.byteorder == "big":
                part.byteswap()
            output += part.tobytes()
    return tuple(bytes(output) for output in outputs)


def _run(args: list[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    except FileNotFoundError:
        raise _no_tool(args[0]) from None


def _undecodable(stderr: bytes) -> AudioError:
    return AudioError(f"The recording could not be decoded as audio (ffmpeg: {_ffmpeg_reason(stderr)}).")


def _ffmpeg_reason(stderr: bytes) -> str:
    """ffmpeg's last two complaints, without the path and [demuxer @ 0x..] prefixes agents can't use."""
    lines: list[str] = []
    for raw in stderr.decode("utf-8", "replace").splitlines():
        line = LOG_PREFIX.sub("", raw.strip())
        if line.startswith("file:"):
            line = line.split(": ", 1)[-1]
        if line and line not in lines:
            lines.append(line.rstrip("."))
    return "; ".join(lines[-2:]) or "no error message"


def _too_long(seconds: float, max_seconds: float) -> AudioError:
    return AudioError(f"The recording is {seconds:.0f} seconds long, more than the {max_seconds:.0f} "
                      "seconds this server transcribes.")


def _no_tool(name: str) -> TranscriptionError:
    """ffmpeg missing is a deployment fault: the recording is fine, so it may be retried later."""
    return TranscriptionError(f"The audio tool {name!r} is not installed on this server; install "
                              "ffmpeg to transcribe recordings.", permanent=False)


def _float(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
