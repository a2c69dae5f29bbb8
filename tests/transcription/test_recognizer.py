"""The real Vosk model: loading and refusing bad folders, the cache, and decoding real speech."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import vosk

from tests.transcription.conftest import AUSTEN, PAUSE_SECONDS, ffmpeg_pcm, silence
from transcription.audio import load_audio
from transcription.errors import ModelError
from transcription.recognizer import ModelCache, load_model, transcribe_pcm


def linked_model(source: Path, target: Path, replace: dict[str, bytes]) -> Path:
    """A model folder of symlinks to the real files, except the given files with these bytes."""
    for file in source.rglob("*"):
        if file.is_file():
            dest = target / file.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            name = str(file.relative_to(source))
            if name in replace:
                dest.write_bytes(replace[name])
            else:
                dest.symlink_to(file)
    return target


def test_the_real_model_loads_with_its_rate_and_name(speech, model_path):
    assert isinstance(speech.model, vosk.Model)
    assert (speech.path, speech.name, speech.sample_rate) == (model_path, "model", 16000)


def test_a_missing_model_folder_is_a_permanent_error_naming_it(tmp_path):
    with pytest.raises(ModelError, match=rf"{tmp_path / 'nope'} does not exist; set VOSK_MODEL_PATH") as e:
        load_model(tmp_path / "nope")
    assert e.value.permanent


def test_a_file_is_not_a_model_folder(tmp_path):
    (tmp_path / "model.zip").write_bytes(b"PK\x03\x04")
    with pytest.raises(ModelError, match="is a file, not a folder"):
        load_model(tmp_path / "model.zip")


@pytest.mark.parametrize("layout, missing", [
    ({}, "am/final.mdl, conf/mfcc.conf, graph/HCLG.fst or graph/HCLr.fst\\+graph/Gr.fst are missing"),
    ({"conf/mfcc.conf": b"--use-energy=false\n", "README": b"not a model"},
     "am/final.mdl, graph/HCLG.fst or graph/HCLr.fst\\+graph/Gr.fst are missing"),
    ({"conf/mfcc.conf": b"x", "am/final.mdl": b"", "graph/HCLG.fst": b"x"},
     "am/final.mdl is missing or empty"),
], ids=["empty-folder", "stray-files", "empty-acoustic-model"])
def test_folders_that_are_not_models_are_refused_before_vosk_sees_them(tmp_path, layout, missing):
    for name, data in layout.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    with pytest.raises(ModelError, match=f"The folder {tmp_path} is not a Vosk model: {missing}") as e:
        load_model(tmp_path)
    assert e.value.permanent


@pytest.mark.parametrize("damaged, reason", [
    ("am/final.mdl", "could not be loaded"),
    ("graph/HCLr.fst", "unreadable decoding graph"),
])
def test_damaged_model_files_give_a_permanent_error_not_a_crash(tmp_path, model_path, damaged, reason):
    truncated = (model_path / damaged).read_bytes()[:4096]
    folder = linked_model(model_path, tmp_path / "model", {damaged: truncated})
    with pytest.raises(ModelError, match=reason) as e:
        load_model(folder)
    assert e.value.permanent and str(folder) in str(e.value)


def test_cache_loads_each_model_once_and_shares_it_across_spellings_of_the_path(tmp_path, model_path):
    loads = []
    cache = ModelCache(loader=lambda path: loads.append(path) or load_model(path))
    (tmp_path / "alias").symlink_to(model_path)
    first = cache.get(model_path)
    assert cache.get(tmp_path / "alias") is first
    assert cache.get(str(model_path) + os.sep) is first
    assert loads == [model_path] and len(cache) == 1 and (tmp_path / "alias") in cache


def test_cache_does_not_remember_failures(tmp_path):
    cache = ModelCache()
    for _ in range(2):
        with pytest.raises(ModelError):
            cache.get(tmp_path / "later")
    assert len(cache) == 0 and (tmp_path / "later") not in cache


@pytest.fixture(scope="module")
def voicemail_pcm(telephone_wav) -> bytes:
    return load_audio(telephone_wav).channels[0]


@pytest.fixture(scope="module")
def voicemail_channel(speech, voicemail_pcm):
    return transcribe_pcm(speech, voicemail_pcm)


def test_decoding_telephone_speech_gives_timed_scored_words(voicemail_channel, voicemail_pcm):
    words = voicemail_channel.words
    assert voicemail_channel.duration == pytest.approx(len(voicemail_pcm) / 32000)
    assert len(words) >= 10 and all(w.word.strip() for w in words)
    assert all(0 <= w.start <= w.end <= voicemail_channel.duration for w in words)
    assert all(0.0 <= w.conf <= 1.0 for w in words)
    assert [w.start for w in words] == sorted(w.start for w in words)
    assert voicemail_channel.text == " ".join(w.word for w in words)  # the model's own spacing


def test_both_utterances_are_kept_and_nothing_is_heard_in_the_pause(voicemail_channel,
                                                                     voicemail_bare_segments):
    first_end = len(ffmpeg_pcm(AUSTEN, 16000)) / 32000
    second_start = first_end + PAUSE_SECONDS
    spoken = [s for s in voicemail_bare_segments if s.get("result")]
    assert len(spoken) >= 2, "the pause must end a Vosk segment, or this test checks nothing"
    starts = [w.start for w in voicemail_channel.words]
    assert any(t < first_end for t in starts) and any(t >= second_start - 0.2 for t in starts)
    assert not [t for t in starts if first_end + 0.2 < t < second_start - 0.2]


def test_decode_equals_a_bare_vosk_decode_of_the_same_audio(voicemail_channel,
                                                            voicemail_bare_segments):
    bare = [(w["word"], w["start"], w["end"], w["conf"])
            for s in voicemail_bare_segments for w in s.get("result", [])]
    ours = [(w.word, w.start, w.end, w.conf) for w in voicemail_channel.words]
    assert ours == bare
    assert voicemail_channel.text == " ".join(s["text"] for s in voicemail_bare_segments if s["text"])


def test_decoding_is_reproducible(speech, voicemail_pcm, voicemail_channel):
    """Kaldi uses libc rand(); without reseeding, a second decode differs in confidences or words."""
    assert transcribe_pcm(speech, voicemail_pcm) == voicemail_channel


def test_silence_gives_no_words(speech):
    channel = transcribe_pcm(speech, silence(3.0, rate=16000))
    assert (channel.text, channel.words, channel.duration) == ("", (), 3.0)
