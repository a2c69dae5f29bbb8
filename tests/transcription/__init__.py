"""Tests of the transcription package and recording storage, on the real Vosk model and ffmpeg."""
