"""Voicemail: recordings left by callers, kept in a RecordingStorage and transcribed offline."""
