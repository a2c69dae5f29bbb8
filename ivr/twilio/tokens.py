"""Access Tokens for the desk's softphone (Twilio's Voice JavaScript SDK): signed with the
API key, granting outgoing calls through our TwiML App and incoming calls to one identity."""

from __future__ import annotations

import datetime as dt

from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from core.settings import TwilioSettings
from ivr.voice.ports import SoftphoneOff, VoiceToken

TOKEN_SECONDS = 3600        # one hour; the desk asks for a new one before it runs out


def voice_token(settings: TwilioSettings, identity: str, now: dt.datetime,
                seconds: int = TOKEN_SECONDS) -> VoiceToken:
    """A token for `identity`, valid from `now` for `seconds`."""
    missing = settings.softphone_missing
    if missing:
        raise SoftphoneOff(f"The softphone is off: {', '.join(missing)} "
                           f"{'is' if len(missing) == 1 else 'are'} not set.")
    issued = int(now.timestamp())
    token = AccessToken(settings.twilio_account_sid, settings.twilio_api_key_sid,
                        settings.twilio_api_key_secret, identity=identity, nbf=issued,
                        valid_until=issued + seconds)
    token.add_grant(VoiceGrant(outgoing_application_sid=settings.twilio_twiml_app_sid,
                               incoming_allow=True))
    jwt = token.to_jwt()
    return VoiceToken(jwt, identity, dt.datetime.fromtimestamp(issued + seconds, dt.UTC))
