"""Every TwiML document our server sends must validate against Twilio's published schema."""

from __future__ import annotations

import re
from pathlib import Path

import xmlschema

SCHEMA = Path(__file__).parent / "twiml_schema" / "twiml_v20100401_twilioRealtimeCallSchema.xsd"
# The schema snapshot predates <Leave>, which Twilio documents for queue wait URLs
# (https://www.twilio.com/docs/voice/twiml/leave). It is the only verb we strip before checking.
_LEAVE = re.compile(r"<Leave\s*/>")


def load_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMA))


def validate(schema: xmlschema.XMLSchema, body: str) -> None:
    """Raise xmlschema's error naming the offending element/attribute if the TwiML is invalid."""
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?><Response'), body[:200]
    schema.validate(_LEAVE.sub("", body))


def validating(transport, schema):
    """Wrap a simulator transport so each 200 TwiML answer is checked against the schema."""

    def send(url, params, headers):
        status, body = transport(url, params, headers)
        if status == 200:
            validate(schema, body)
        return status, body

    return send
