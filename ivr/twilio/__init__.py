"""Twilio's wire format, in one adapter: webhook fields in, TwiML out, signatures, a stand-in.

`params` reads webhook form fields into the call service's provider-neutral reports,
`twiml` renders the engine's verbs as TwiML, `signature` checks X-Twilio-Signature, and
`simulator` plays Twilio's side of calls for tests and `ivr flows simulate`. The Flask routes
that use them are ivr/web/twilio.py.
"""
