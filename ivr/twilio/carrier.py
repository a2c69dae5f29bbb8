"""The distributor's carrier on Twilio's REST API: ring an agent, redirect the caller out of
the queue into the offer's room, hang a leg up."""

from __future__ import annotations

from ivr.acd.ports import CarrierDown
from ivr.twilio.rest import CarrierError, TwilioRest
from ivr.twilio.twiml import Urls

GONE = {20404, 21220}   # not found; "call is not in-progress, cannot redirect"


class TwilioCarrier:
    def __init__(self, rest: TwilioRest, urls: Urls):
        self.rest, self.urls = rest, urls

    def ring(self, offer_id: int, to: str, from_: str, timeout: int) -> str:
        try:
            return self.rest.create_call(to, from_, self.urls.acd("answer", offer_id),
                                         status_callback=self.urls.acd("agent", offer_id),
                                         events=("answered", "completed"), timeout=timeout)
        except CarrierError as exc:
            if exc.status is None or exc.status in (401, 403, 429) or exc.status >= 500:
                raise CarrierDown(str(exc)) from exc   # the account, not this agent's phone
            raise

    def bridge(self, call_id: str, offer_id: int) -> bool:
        """Redirect the queued caller (Twilio then asks the Enqueue action with
        QueueResult=redirected, which we ignore) to TwiML joining the offer's room."""
        try:
            self.rest.redirect_call(call_id, self.urls.acd("bridge", offer_id))
        except CarrierError as exc:
            if exc.status == 404 or exc.code in GONE:
                return False
            raise
        return True

    def record(self, call_id: str) -> str:
        return self.rest.record(call_id, self.urls.recording("call"), channels="dual")

    def hang_up(self, call_id: str, ringing: bool) -> None:
        try:
            self.rest.end_call(call_id, ringing=ringing)
        except CarrierError as exc:
            if not (exc.status == 404 or exc.code in GONE):
                raise
