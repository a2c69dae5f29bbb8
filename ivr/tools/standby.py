"""For simulations and flow tests (`queue_answer: N`): an agent who becomes free N seconds
after the caller starts waiting and answers their phone, on the fake of Twilio's cloud.

Nothing else connects a queued caller: the server's distributor must ring this agent through
the REST API and bridge the caller, exactly as it would with Twilio.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterable

from sqlalchemy import select

from core import agent_states
from core.accounts import User, create_user
from core.runtime import Runtime
from ivr.acd.models import Waiting
from ivr.flows.model import Connect, Flow
from ivr.twilio.cloud import FakeTwilioCloud
from ivr.twilio.simulator import CallResult, Script, Twilio

USERNAME = "standby_agent"


def queues_of(flows: Iterable[Flow]) -> list[str]:
    """Every queue a flow's connect steps can send a caller to."""
    return sorted({step.action.target for flow in flows for step in flow.steps.values()
                   if isinstance(step.action, Connect) and step.action.kind == "queue"})


class StandbyAgent:
    """One agent of every queue, offline until a caller has waited `after` seconds."""

    def __init__(self, runtime: Runtime, cloud: FakeTwilioCloud, queues: list[str], after: int):
        self.runtime, self.cloud, self.after = runtime, cloud, after
        with runtime.db.session() as session:
            create_user(session, USERNAME, secrets.token_urlsafe(16), queues=queues)
        cloud.device(f"client:{USERNAME}", "answer", after=1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> StandbyAgent:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(5)

    def _watch(self) -> None:
        while not self._stop.is_set() and not self._someone_waits():
            time.sleep(0.01)
        if self._stop.wait(self.after * self.cloud.scale):
            return
        with self.runtime.db.session() as session:
            user = session.scalar(select(User).where(User.username == USERNAME))
            agent_states.set_by_hand(user, "available")

    def _someone_waits(self) -> bool:
        with self.runtime.db.session() as session:
            return session.scalar(select(Waiting.id).where(Waiting.status == "waiting")
                                  .limit(1)) is not None


def answered_by_standby(runtime: Runtime, twilio: Twilio, flows, after: int | None,
                        script: Script, caller: str, to: str) -> CallResult:
    """The call, with a standby agent free `after` seconds into any queue wait (None: none)."""
    if after is None or twilio.cloud is None:
        return twilio.call(caller, to, script)
    with StandbyAgent(runtime, twilio.cloud, queues_of(flows), after):
        result = twilio.call(caller, to, script)
    twilio.cloud.wait_idle()
    return result
