"""X-Twilio-Signature: Twilio signs every webhook with the account's auth token."""

from __future__ import annotations

from twilio.request_validator import RequestValidator, compare


def signed(token: str, url: str, params: dict, signature: str) -> bool:
    """Twilio's check; the URL exactly as configured first (one HMAC instead of validate()'s
    two), then validate()'s with-and-without-port variants."""
    if not token or not signature:
        return False
    validator = RequestValidator(token)
    return (compare(validator.compute_signature(url, params), signature)
            or validator.validate(url, params, signature))
