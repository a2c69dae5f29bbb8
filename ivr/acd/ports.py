"""What the distributor needs from a carrier: ring an agent, bring the caller to them, hang up.

Twilio's REST API implements it (ivr.twilio.carrier); the distributor never sees its format.
"""

from __future__ import annotations

from typing import Protocol


class CarrierDown(Exception):
    """The carrier refuses every call right now (credentials, outage): not the agent's fault."""


class Carrier(Protocol):
    def ring(self, offer_id: int, to: str, from_: str, timeout: int) -> str:
        """Call the agent's phone for an offer; the new leg's id."""

    def bridge(self, call_id: str, offer_id: int) -> bool:
        """Take the waiting caller to the offer's room; False when the call is over."""

    def hang_up(self, call_id: str, ringing: bool) -> None:
        """End a leg (cancel it while it still rings)."""

    def record(self, call_id: str) -> str:
        """Record a leg on two channels (the recording's id); reported when it ends."""
