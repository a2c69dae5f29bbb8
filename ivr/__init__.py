"""Contact-center IVR server: Twilio webhooks running declarative flows (see README)."""

__version__ = "0.1.0"
