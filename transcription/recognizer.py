"""Vosk models, loaded once per process, and the decode of one PCM channel into timed, scored words."""

from __future__ import annotations

import ctypes
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import vosk

from transcription.audio import SAMPLE_WIDTH
from transcription.errors import ModelError

CHUNK_SECONDS = 0.25  # what Vosk's own examples feed (4000 frames at 16 kHz)
KALDI_DEFAULT_RATE = 16000  # MfccOptions' sample frequency when mfcc.conf does not set one
REQUIRED_FILES = ("am/final.mdl", "conf/mfcc.conf")
GRAPHS = (("graph/HCLG.fst",), ("graph/HCLr.fst", "graph/Gr.fst"))  # static or lookahead graph
DECODE_SEED = 1
try:
    _LIBC_SRAND = ctypes.CDLL(None).srand  # the C library libvosk.so is linked against
except (OSError, AttributeError, TypeError):  # not a POSIX C runtime: decodes stay unseeded
    _LIBC_SRAND = None


@dataclass(frozen=True)
class Word:
    """One recognized word; times in seconds from the start of its channel, conf in [0, 1]."""

    word: str
    start: float
    end: float
    conf: float


@dataclass(frozen=True)
class ChannelTranscript:
    """Everything the model heard on one channel."""

    text: str
    words: tuple[Word, ...]
    duration: float


@dataclass(frozen=True, eq=False)
class SpeechModel:
    """A loaded Vosk model with what the pipeline needs to feed it."""

    path: Path
    name: str
    sample_rate: int
    model: vosk.Model


def load_model(path: str | Path) -> SpeechModel:
    """Load a Vosk model, checking the folder first: Vosk only says "Failed to create a model"."""
    path = Path(path)
    _check_model_dir(path)
    vosk.SetLogLevel(-1)
    try:
        model = vosk.Model(str(path))
    except Exception as exc:  # vosk raises a bare Exception; this names the folder for the operator
        raise ModelError(f"The speech model at {path} could not be loaded; its files may be damaged "
                         f"or from an incompatible Vosk version ({exc}).") from exc
    speech = SpeechModel(path=path, name=path.name, sample_rate=model_sample_rate(path), model=model)
    new_recognizer(speech)  # a damaged graph only shows here: fail at load, not on every job
    return speech


def _check_model_dir(path: Path) -> None:
    if not path.is_dir():
        problem = "is a file, not a folder" if path.exists() else "does not exist"
        raise ModelError(f"The speech model folder {path} {problem}; set VOSK_MODEL_PATH "
                         "(or VOSK_MODELS) to an unpacked Vosk model.")
    missing = [name for name in REQUIRED_FILES if not _nonempty(path / name)]
    if not any(all(_nonempty(path / name) for name in graph) for graph in GRAPHS):
        missing.append(" or ".join("+".join(graph) for graph in GRAPHS))
    if missing:
        raise ModelError(f"The folder {path} is not a Vosk model: {', '.join(missing)} "
                         f"{'is' if len(missing) == 1 else 'are'} missing or empty.")


def _nonempty(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0


def model_sample_rate(path: Path) -> int:
    """The rate the model's features are computed at, from conf/mfcc.conf."""
    for line in (path / "conf" / "mfcc.conf").read_text().splitlines():
        name, _, value = line.strip().partition("=")
        if name == "--sample-frequency":
            return int(float(value))
    return KALDI_DEFAULT_RATE


def new_recognizer(speech: SpeechModel) -> vosk.KaldiRecognizer:
    """A recognizer at the model's own rate, reporting per-word times and confidences."""
    try:
        recognizer = vosk.KaldiRecognizer(speech.model, speech.sample_rate)
    except Exception as exc:  # vosk raises a bare Exception; see load_model
        raise ModelError(f"The speech model at {speech.path} has an unreadable decoding graph "
                         f"({exc}).") from exc
    recognizer.SetWords(True)
    return recognizer


def transcribe_pcm(speech: SpeechModel, pcm: bytes, *,
                   chunk_seconds: float = CHUNK_SECONDS) -> ChannelTranscript:
    """Decode mono 16-bit PCM at the model's rate, keeping every segment Vosk finalizes on the way."""
    reseed()
    recognizer = new_recognizer(speech)
    step = int(speech.sample_rate * chunk_seconds) * SAMPLE_WIDTH
    segments = []
    for offset in range(0, len(pcm), step):
        if recognizer.AcceptWaveform(pcm[offset:offset + step]):
            segments.append(json.loads(recognizer.Result()))
    segments.append(json.loads(recognizer.FinalResult()))
    duration = len(pcm) / (SAMPLE_WIDTH * speech.sample_rate)
    return channel_transcript(segments, duration)


def reseed(seed: int = DECODE_SEED) -> None:
    """Make the next decode reproducible: Kaldi draws on libc rand() while decoding (measured: two
    decodes of one file in one process differ in confidences and sometimes in words). Per process:
    decodes running at once in threads share rand() and are not reproducible."""
    if _LIBC_SRAND is not None:
        _LIBC_SRAND(seed)


def channel_transcript(segments: list[dict], duration: float) -> ChannelTranscript:
    """Join Vosk's JSON segments (in order) into one channel transcript."""
    words = tuple(Word(word=item["word"], start=float(item["start"]), end=float(item["end"]),
                       conf=float(item["conf"]))
                  for segment in segments for item in segment.get("result", ()))
    text = " ".join(segment["text"] for segment in segments if segment.get("text"))
    return ChannelTranscript(text=text, words=words, duration=duration)


class ModelCache:
    """Loaded models by real path, so a worker pays the multi-second load once per model."""

    def __init__(self, loader=load_model):
        self._loader = loader
        self._models: dict[str, SpeechModel] = {}
        self._lock = threading.Lock()

    def get(self, path: str | Path) -> SpeechModel:
        """The model at path, loading it on first use; failed loads are not cached."""
        key = os.path.realpath(path)
        with self._lock:
            if key not in self._models:
                self._models[key] = self._loader(Path(path))
            return self._models[key]

    preload = get

    def __contains__(self, path: str | Path) -> bool:
        return os.path.realpath(path) in self._models

    def __len__(self) -> int:
        return len(self._models)
