"""The telephony feature's web edge: Twilio's webhooks and the prompt audio they fetch."""
