"""Offline speech-to-text for recordings: fetch, validate, normalize, decode with Vosk, speaker turns."""
