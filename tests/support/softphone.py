"""The browser end of a softphone test: the Voice SDK's Device double in the page, bridged to
the fake Twilio cloud (what Twilio's signalling would carry), driven from the test."""

from __future__ import annotations

import json
import time
from pathlib import Path

DOUBLE = Path(__file__).with_name("voice_sdk_double.js")
FINAL = ("completed", "busy", "no-answer", "failed", "canceled")


class BrowserPhone:
    """One page's Device: rings it, hangs it up from the far end, places its calls."""

    def __init__(self, page, cloud, identity: str, application: str):
        self.page, self.cloud, self.identity, self.application = page, cloud, identity, application
        self.registered = False
        self.token = None
        self.placed: list[str] = []
        self._rung: set[str] = set()
        page.add_init_script(path=str(DOUBLE))
        page.expose_function("__bridge", self._bridge)

    def _bridge(self, kind: str, sid: str, extra: str):
        if kind == "accept":
            self.cloud.pick_up(sid)
        elif kind == "reject":
            self.cloud.pick_up(sid, False)
        elif kind == "hangup":
            self.cloud.hang_up_leg(sid)
        elif kind == "digits":
            self.cloud.leg(sid).digits.append(extra)
        elif kind == "register":
            self.registered, self.token = True, extra
        elif kind == "unregister":
            self.registered = False
        elif kind == "connect":
            leg = self.cloud.client_call(self.identity, self.application, json.loads(extra))
            self.placed.append(leg.sid)
            return leg.sid
        return None

    def until(self, predicate, timeout: float = 10.0):
        """Wait (serving the page's calls to the bridge meanwhile) until `predicate()`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            self.page.wait_for_timeout(20)
        raise AssertionError(f"timed out waiting for {predicate}")

    def ring(self, from_: str = "") -> str:
        """The cloud rings this browser: the SDK would emit `incoming`."""
        sid = self.until(lambda: next((leg for who, leg in self.cloud.rings
                                       if who == self.identity and leg not in self._rung), None))
        self._rung.add(sid)
        self.page.evaluate("([sid, from]) => window.__ring(sid, from)", [sid, from_])
        return sid

    def far_end_hung_up(self, sid: str) -> None:
        """The leg ended on Twilio's side: the SDK would emit `disconnect`."""
        self.until(lambda: self.cloud.leg(sid).status in FINAL)
        self.page.evaluate("sid => window.__remoteHangup(sid)", sid)
