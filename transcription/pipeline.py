"""The whole decode step for one recording file, independent of the database and the job queue."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from transcription.audio import DEFAULT_MAX_SECONDS, load_audio
from transcription.errors import ModelError
from transcription.recognizer import ModelCache, transcribe_pcm
from transcription.turns import (
    DEFAULT_MAX_PAUSE,
    SpeakerWord,
    Turn,
    default_speakers,
    label_words,
    merge_turns,
    render_turns,
)


@dataclass(frozen=True)
class Transcript:
    """What a recording said, by whom and when; text is plain for mono, "speaker: ..." lines otherwise."""

    text: str
    words: tuple[SpeakerWord, ...]
    turns: tuple[Turn, ...]
    language: str | None
    model: str
    duration: float
    processing_seconds: float
    channels: int

    def to_dict(self) -> dict:
        """JSON-ready form for storing on a ticket or job result."""
        return asdict(self)


def transcribe_file(path: str | Path, model_cache: ModelCache, *, model_path: str | Path | None,
                    language: str | None, speakers: Sequence[str] | None = None,
                    max_seconds: float = DEFAULT_MAX_SECONDS,
                    max_pause: float = DEFAULT_MAX_PAUSE) -> Transcript:
    """Validate, normalize and decode every channel of a recording; raises TranscriptionError subclasses.

    speakers name the channels in order (default: "caller" for mono, "caller", "agent" for dual, see
    transcription.turns); a mono file given call speakers is labelled with the first name only.
    """
    started = time.perf_counter()
    if model_path is None:
        raise ModelError(f"No speech model is configured for language {language or 'default'!r}; "
                         "set VOSK_MODEL_PATH or a VOSK_MODELS entry.")
    speech = model_cache.get(model_path)
    audio = load_audio(path, sample_rate=speech.sample_rate, max_seconds=max_seconds)
    names = tuple(speakers)[:audio.channel_count] if speakers else default_speakers(audio.channel_count)
    channels = [transcribe_pcm(speech, pcm) for pcm in audio.channels]
    words = label_words(channels, names)
    turns = merge_turns(words, max_pause=max_pause)
    text = channels[0].text if audio.channel_count == 1 else render_turns(turns)
    return Transcript(text=text, words=tuple(words), turns=tuple(turns), language=language,
                      model=speech.name, duration=audio.duration,
                      processing_seconds=time.perf_counter() - started, channels=audio.channel_count)
