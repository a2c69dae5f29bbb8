"""transcribe_file end to end on real recordings: mono voicemail, dual-channel call, speaker turns."""

from __future__ import annotations

import itertools
import json
import time

import pytest

from tests.transcription.conftest import AUSTEN, ffmpeg_pcm, silence, write_wav
from transcription.audio import load_audio
from transcription.errors import AudioError, ModelError, is_permanent
from transcription.pipeline import transcribe_file
from transcription.turns import label_words, merge_turns, render_turns


@pytest.fixture(scope="module")
def voicemail(model_cache, model_path, telephone_wav):
    started = time.perf_counter()
    transcript = transcribe_file(telephone_wav, model_cache, model_path=model_path, language="ko-KR")
    return transcript, time.perf_counter() - started


@pytest.fixture(scope="module")
def call(model_cache, model_path, dual_wav):
    path, caller_start = dual_wav
    return transcribe_file(path, model_cache, model_path=model_path, language=None), caller_start


def test_voicemail_transcript_describes_the_recording(voicemail, telephone_wav):
    transcript, wall = voicemail
    assert (transcript.channels, transcript.language, transcript.model) == (1, "ko-KR", "model")
    assert transcript.duration == pytest.approx(load_audio(telephone_wav).duration)
    assert 0 < transcript.processing_seconds <= wall
    assert transcript.text and transcript.text == " ".join(w.word for w in transcript.words)
    assert {(w.channel, w.speaker) for w in transcript.words} == {(0, "caller")}
    assert json.loads(json.dumps(transcript.to_dict()))["text"] == transcript.text


def test_voicemail_words_equal_a_bare_vosk_decode_of_the_same_audio(voicemail, voicemail_bare_segments):
    bare = [(w["word"], w["start"], w["end"], w["conf"])
            for s in voicemail_bare_segments for w in s.get("result", [])]
    assert [(w.word, w.start, w.end, w.conf) for w in voicemail[0].words] == bare
    assert voicemail[0].text == " ".join(s["text"] for s in voicemail_bare_segments if s["text"])


def test_dual_channel_call_gives_turns_of_both_speakers_in_time_order(call):
    transcript, caller_start = call
    agent_end = len(ffmpeg_pcm(AUSTEN, 16000)) / 32000
    assert transcript.channels == 2
    speakers = [speaker for speaker, _ in itertools.groupby(t.speaker for t in transcript.turns)]
    assert speakers == ["agent", "caller"]  # the agent's clip plays first, then the caller's
    by_speaker = {s: [w for w in transcript.words if w.speaker == s] for s in ("caller", "agent")}
    assert by_speaker["agent"] and by_speaker["caller"]
    assert all(w.channel == 1 and w.end <= agent_end + 0.3 for w in by_speaker["agent"])
    assert all(w.channel == 0 and w.start >= caller_start - 0.3 for w in by_speaker["caller"])
    assert [t.start for t in transcript.turns] == sorted(t.start for t in transcript.turns)


def test_dual_channel_text_is_one_line_per_turn(call):
    transcript, _ = call
    lines = transcript.text.split("\n")
    assert transcript.text == render_turns(transcript.turns)
    assert len(lines) == len(transcript.turns) >= 2
    assert all(line.startswith(("caller: ", "agent: ")) for line in lines)
    assert " ".join(line.split(": ", 1)[1] for line in lines) == " ".join(w.word for w in transcript.words)


@pytest.mark.parametrize("max_pause", [0.0, 0.3, 1.5, 1e9])
def test_turns_split_on_speaker_change_and_long_pauses(call, max_pause):
    words = call[0].words
    turns = merge_turns(words, max_pause=max_pause)
    assert " ".join(t.text for t in turns) == " ".join(w.word for w in words)
    pairs = zip(turns, turns[1:], strict=False)
    assert all(a.speaker != b.speaker or b.start - a.end > max_pause for a, b in pairs)
    if max_pause == 1e9:
        assert len(turns) == 1 + sum(a.channel != b.channel for a, b in zip(words, words[1:], strict=False))


def test_speaker_names_follow_channel_order(call):
    transcript, _ = call
    channels = _channel_transcripts(transcript)
    swapped = label_words(channels, ("agent", "caller"))
    assert {(w.channel, w.speaker) for w in swapped} == {(0, "agent"), (1, "caller")}
    with pytest.raises(ValueError, match="2 channels need 2 speaker names"):
        label_words(channels, ("caller",))


def _channel_transcripts(transcript):
    from transcription.recognizer import ChannelTranscript, Word
    return [ChannelTranscript(text="", duration=transcript.duration,
                              words=tuple(Word(w.word, w.start, w.end, w.conf)
                                          for w in transcript.words if w.channel == channel))
            for channel in range(transcript.channels)]


def test_a_silent_recording_gives_an_empty_transcript(model_cache, model_path, tmp_path):
    transcript = transcribe_file(write_wav(tmp_path / "silent.wav", [silence(1.5)]), model_cache,
                                 model_path=model_path, language=None)
    assert (transcript.text, transcript.words, transcript.turns) == ("", (), ())
    assert transcript.duration == pytest.approx(1.5)


def test_missing_model_configuration_is_permanent(model_cache, telephone_wav):
    with pytest.raises(ModelError, match="No speech model is configured for language 'ja-JP'") as e:
        transcribe_file(telephone_wav, model_cache, model_path=None, language="ja-JP")
    assert is_permanent(e.value)


def test_unusable_audio_fails_before_decoding(model_cache, model_path, tmp_path):
    page = tmp_path / "RE1.wav"
    page.write_text("<html><body>Twilio error</body></html>")
    with pytest.raises(AudioError, match="not audio but an HTML page") as e:
        transcribe_file(page, model_cache, model_path=model_path, language=None)
    assert e.value.permanent
