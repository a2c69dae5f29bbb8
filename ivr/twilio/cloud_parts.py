"""The fake Twilio cloud's parts: the phones it rings, its rooms and call legs, its error
bodies."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field

FINAL = ("completed", "busy", "no-answer", "failed", "canceled")


@dataclass
class Device:
    """An agent's phone: how it reacts to a ring."""

    answer: str = "answer"        # answer | no-answer | busy | reject | manual
    after: float = 1.0            # simulated seconds of ringing before it answers
    talk: float | None = 30.0     # a dialed customer's conversation (None: until it ends)


@dataclass
class Room:
    """A conference: ends when a participant with endConferenceOnExit leaves."""

    name: str
    members: set = field(default_factory=set)
    ended: threading.Event = field(default_factory=threading.Event)
    joined: threading.Condition = field(default_factory=threading.Condition)
    sid: str = field(default_factory=lambda: "CF" + secrets.token_hex(16))
    callback: str | None = None           # the first participant's statusCallback
    events: tuple[str, ...] = ()
    started: bool = False
    held: dict = field(default_factory=dict)   # call sid -> HoldUrl while on hold
    end_on_exit: dict = field(default_factory=dict)   # call sid -> ends the room on leaving
    muted: set = field(default_factory=set)           # members nobody hears
    coaching: dict = field(default_factory=dict)      # coach's call sid -> the coached one


class Leg:
    """One call as the cloud sees it; the caller's side is followed by the simulator."""

    def __init__(self, sid: str, to: str, from_: str, direction: str):
        self.sid, self.to, self.from_, self.direction = sid, to, from_, direction
        self.status = "queued"
        self.redirect: str | None = None
        self.changed = threading.Event()      # a redirect or hang-up arrived
        self.hangup = False
        self.heard: list[str] = []             # what an agent's leg was told
        self.recordings: list[dict] = []       # started through the REST API
        self.picked_up: bool | None = None     # a manual (browser) device's decision
        self.decided = threading.Event()
        self.digits: list[str] = []            # keys a browser phone sent

    def resource(self, account: str) -> dict:
        return {"sid": self.sid, "account_sid": account, "to": self.to, "from": self.from_,
                "status": self.status, "direction": self.direction,
                "uri": f"/2010-04-01/Accounts/{account}/Calls/{self.sid}.json"}


def error(code: int, message: str, status: int) -> dict:
    return {"code": code, "message": message, "status": status,
            "more_info": f"https://www.twilio.com/docs/errors/{code}"}


