"""An event-channel subscription made before the stream starts, so 'connected' means 'listening'.

`Events.listen` subscribes lazily, when the stream's body is first pulled; a page that places a
call right after its stream opened could miss the pop. Subscribing here first closes that gap.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from core.events import Events


class SubscribedEvents(Events):
    """Events already subscribed to the channel when constructed (confirmation read)."""

    def __init__(self, client):
        super().__init__(client)
        self.pubsub = client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(self.channel)
        self.pubsub.get_message(timeout=1.0)  # the subscribe confirmation: we are listening

    def listen(self, timeout: float = 15.0) -> Iterator[dict | None]:
        try:
            while True:
                message = self.pubsub.get_message(timeout=timeout)
                yield json.loads(message["data"]) if message else None
        finally:
            self.pubsub.close()
