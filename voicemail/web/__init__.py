"""The voicemail feature's web edge: recording audio and transcripts for desks and the API."""
