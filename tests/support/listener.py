"""A thread listening on the live event channel, as an agent's event stream would."""

from __future__ import annotations

import threading
import time

from core.events import Events


class Listener:
    """Collects events from the channel in a thread, as a desk's event stream would."""

    def __init__(self, redis_client):
        self.events: list[dict] = []
        self.ready = threading.Event()
        self.stop = False
        self.thread = threading.Thread(target=self._run, args=(redis_client,), daemon=True)
        self.thread.start()
        assert self.ready.wait(5)

    def _run(self, client):
        stream = Events(client).listen(timeout=0.1)
        next(stream)            # subscribed
        self.ready.set()
        for event in stream:
            if self.stop:
                break
            if event:
                self.events.append(event)

    def kinds(self, wait: float = 2.0) -> list[str]:
        time.sleep(wait)
        return [e["kind"] for e in self.events]
