"""Per-channel words merged into speaker turns in time order, for dual-channel call recordings.

Channel order (Twilio's API reference for RecordingChannels, also in twilio-python's Call docs):
"The first channel of a dual-channel recording contains the parent call and the second channel
contains the child call." On an inbound call bridged with <Dial record="record-from-answer-dual">
the parent leg is the caller and the dialled leg the agent, hence CALL_SPEAKERS. An outbound call
started by the REST API and then <Dial>ed to the customer has the agent on the parent leg: pass
speakers=("agent", "caller") there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from transcription.recognizer import ChannelTranscript, Word

CALL_SPEAKERS = ("caller", "agent")  # channel 0 (left, parent leg), channel 1 (right, child leg)
VOICEMAIL_SPEAKERS = ("caller",)
DEFAULT_MAX_PAUSE = 1.5  # seconds of silence that end a turn even if nobody else spoke


@dataclass(frozen=True)
class SpeakerWord:
    """A word with the channel and speaker it came from."""

    word: str
    start: float
    end: float
    conf: float
    channel: int
    speaker: str


@dataclass(frozen=True)
class Turn:
    """Consecutive words of one speaker; text keeps the model's own spacing between words."""

    speaker: str
    channel: int
    start: float
    end: float
    text: str


def default_speakers(channels: int) -> tuple[str, ...]:
    return VOICEMAIL_SPEAKERS if channels == 1 else CALL_SPEAKERS[:channels]


def label_words(transcripts: Sequence[ChannelTranscript],
                speakers: Sequence[str]) -> list[SpeakerWord]:
    """All channels' words tagged with their speaker, ordered by start time (then channel)."""
    if len(speakers) != len(transcripts):
        raise ValueError(f"{len(transcripts)} channels need {len(transcripts)} speaker names, "
                         f"not {list(speakers)!r}.")
    words = [_tag(word, channel, speakers[channel])
             for channel, transcript in enumerate(transcripts) for word in transcript.words]
    return sorted(words, key=lambda w: (w.start, w.channel, w.end))


def _tag(word: Word, channel: int, speaker: str) -> SpeakerWord:
    return SpeakerWord(word=word.word, start=word.start, end=word.end, conf=word.conf,
                       channel=channel, speaker=speaker)


def merge_turns(words: Sequence[SpeakerWord], *,
                max_pause: float = DEFAULT_MAX_PAUSE) -> list[Turn]:
    """Group time-ordered words: a turn ends when the other speaker speaks or after a long pause."""
    groups: list[list[SpeakerWord]] = []
    for word in words:
        current = groups[-1] if groups else None
        if current and current[-1].channel == word.channel and word.start - current[-1].end <= max_pause:
            current.append(word)
        else:
            groups.append([word])
    return [Turn(speaker=group[0].speaker, channel=group[0].channel, start=group[0].start,
                 end=max(w.end for w in group), text=" ".join(w.word for w in group))
            for group in groups]


def render_turns(turns: Sequence[Turn]) -> str:
    """One line per turn, "caller: ..." / "agent: ...", the form tickets show."""
    return "\n".join(f"{turn.speaker}: {turn.text}" for turn in turns)
