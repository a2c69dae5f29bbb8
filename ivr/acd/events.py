"""What the distributor tells itself across processes' boundaries: an offer was given back."""

from __future__ import annotations

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True)
class OfferCanceled(Event):
    """The caller left while the agent's phone rang: that leg must stop ringing."""

    offer_id: int
    agent_leg: str | None
