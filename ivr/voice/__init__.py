"""Agents' own calls in the desk: the softphone's identity, outbound calls, call control
(hold, recording pause), wrap-up with a disposition.

Provider-neutral: the carrier is reached through `ports.VoiceCarrier`; Twilio's side lives in
`ivr/twilio/` (tokens, conference control) and its webhooks in `ivr/web/twilio_voice.py`.
"""
