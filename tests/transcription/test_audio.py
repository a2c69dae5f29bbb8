"""Loading recordings: normalization to the model's rate per channel, and every way a file can be unusable."""

from __future__ import annotations

import subprocess
from array import array
from pathlib import Path

import pytest

from tests.transcription.conftest import AUDIO, JFK, TELEPHONE_RATE, ffmpeg_pcm, silence, write_wav
from transcription.audio import load_audio
from transcription.errors import AudioError, is_permanent


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def peak(pcm: bytes) -> int:
    return max(abs(s) for s in array("h", pcm))


def test_telephone_wav_becomes_16k_mono_pcm_exactly_as_ffmpeg_resamples_it(telephone_wav):
    audio = load_audio(telephone_wav)
    source = ffmpeg_pcm(telephone_wav, TELEPHONE_RATE)
    assert (audio.channel_count, audio.sample_rate, audio.source_rate) == (1, 16000, 8000)
    assert audio.source_format == "wav"
    assert audio.duration == pytest.approx(len(source) / 2 / TELEPHONE_RATE, abs=1e-3)
    assert len(audio.channels[0]) == 2 * len(source)  # twice the samples, 16-bit each
    assert audio.channels[0] == ffmpeg_pcm(telephone_wav, 16000)


def test_dual_channel_recording_keeps_each_channel_apart(dual_wav):
    path, _ = dual_wav
    audio = load_audio(path)
    assert audio.channel_count == 2
    assert audio.channels[0] == ffmpeg_pcm(path, 16000, "-af", "pan=mono|c0=c0")
    assert audio.channels[1] == ffmpeg_pcm(path, 16000, "-af", "pan=mono|c0=c1")
    assert audio.channels[0] != audio.channels[1]


@pytest.mark.parametrize("rate", [8000, 16000, 22050])
def test_model_rate_decides_the_output_rate(rate):
    audio = load_audio(JFK, sample_rate=rate)
    assert audio.sample_rate == rate
    assert len(audio.channels[0]) == pytest.approx(11.0 * rate * 2, abs=4)


@pytest.mark.parametrize("name, args", [
    ("jfk.mp3", []),  # what Twilio serves at <RecordingUrl>.mp3
    ("mulaw.wav", ["-c:a", "pcm_mulaw", "-ar", "8000"]),  # G.711 u-law in a WAV container
    ("mp3-named.wav", ["-c:a", "libmp3lame", "-f", "mp3"]),  # wrong extension: content decides
])
def test_other_formats_ffmpeg_reads_are_accepted(tmp_path, name, args):
    path = AUDIO / name if not args else tmp_path / name
    if args:
        ffmpeg("-i", str(JFK), *args, str(path))
    audio = load_audio(path)
    assert audio.channel_count == 1 and audio.sample_rate == 16000
    assert audio.duration == pytest.approx(11.0, abs=0.1)
    assert peak(audio.channels[0]) > 3000  # real speech came through, not silence


def test_digital_silence_is_valid_audio(tmp_path):
    audio = load_audio(write_wav(tmp_path / "silent.wav", [silence(2.0)]))
    assert audio.duration == pytest.approx(2.0)
    assert peak(audio.channels[0]) == 0


def _write(data: bytes):
    return lambda tmp: (tmp / "recording.wav").write_bytes(data) and tmp / "recording.wav"


def _png(tmp: Path) -> Path:
    ffmpeg("-f", "lavfi", "-i", "color=c=red:s=16x16:d=1", "-frames:v", "1", "-f", "image2",
           str(tmp / "picture.wav"))
    return tmp / "picture.wav"


def _six_channels(tmp: Path) -> Path:
    ffmpeg("-i", str(JFK), "-ac", "6", str(tmp / "surround.wav"))
    return tmp / "surround.wav"


def _header_only(tmp: Path) -> Path:
    data = JFK.read_bytes()
    (tmp / "header.wav").write_bytes(data[:data.index(b"data") + 8])  # RIFF header, no samples
    return tmp / "header.wav"


def _header_then_junk(tmp: Path) -> Path:
    junk = bytes((i * 7919) % 251 for i in range(20000))
    (tmp / "junk.wav").write_bytes(JFK.read_bytes()[:12] + junk)
    return tmp / "junk.wav"


@pytest.mark.parametrize("make, reason", [
    (lambda tmp: tmp / "absent.wav", "does not exist"),
    (lambda tmp: (tmp / "empty.wav").touch() or tmp / "empty.wav", "is empty (0 bytes)"),
    (_write(b"<!DOCTYPE html>\n<html><body><h1>502 Bad Gateway</h1></body></html>"),
     "not audio but an HTML page (it begins '<!DOCTYPE html> <html><body><h1>502 Bad Gateway"),
    (_write(b'{"code": 20404, "message": "The requested resource was not found"}'), "a JSON document"),
    (_write("留守番電話のメモ\nplain notes\n".encode()), "not audio but a text file"),
    (_write(bytes(range(256)) * 40), "could not be decoded as audio (ffmpeg: Invalid data found"),
    (_header_then_junk, "could not be decoded as audio (ffmpeg:"),
    (_header_only, "contains no audio samples"),
    (_png, "contains no audio stream"),
    (_six_channels, "has 6 audio channels; only mono and dual-channel"),
], ids=["missing", "empty", "html", "json", "text", "binary-junk", "riff-junk", "header-only", "image",
        "six-channels"])
def test_unusable_recordings_fail_permanently_with_a_reason(tmp_path, make, reason):
    with pytest.raises(AudioError) as caught:
        load_audio(make(tmp_path))
    assert reason in str(caught.value)
    assert caught.value.permanent and is_permanent(caught.value)
    assert str(caught.value).endswith(".")


@pytest.mark.parametrize("max_seconds, ok", [(5, False), (10.9, False), (11.1, True)])
def test_recordings_longer_than_the_limit_are_refused(max_seconds, ok):
    if ok:
        assert load_audio(JFK, max_seconds=max_seconds).duration == pytest.approx(11.0)
        return
    with pytest.raises(AudioError, match=rf"is 11 seconds long, more than the {max_seconds:.0f} seconds"):
        load_audio(JFK, max_seconds=max_seconds)
