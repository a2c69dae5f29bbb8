"""Server-Sent Events from the live channel: one stream per browser tab, filtered per viewer."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable

from flask import Response, stream_with_context

from core.events import Events
from core.live_hub import Subscription

KEEPALIVE_SECONDS = 15.0  # proxies close silent connections; a comment line keeps them open


def format_event(event: dict) -> str:
    data = json.dumps(event, ensure_ascii=False, default=str)
    return f"event: {event['kind']}\ndata: {data}\n\n"


def stream(events: Events | Subscription, wanted: Callable[[dict], dict | None],
           first: Iterable[dict] = (), alive: Callable[[], None] | None = None) -> Response:
    """Stream events that `wanted` keeps (it may reshape them; None drops them); `alive` is
    called as the stream opens and at least every KEEPALIVE_SECONDS while it stays open."""

    def generate():
        yield "retry: 2000\n\n"  # browsers reconnect after 2 s if the stream breaks
        noted = time.monotonic()
        if alive:
            alive()
        for event in first:
            yield format_event(event)
        for event in events.listen(timeout=KEEPALIVE_SECONDS):
            if alive and time.monotonic() - noted >= KEEPALIVE_SECONDS:
                noted = time.monotonic()
                alive()
            if event is None:
                yield ": keep-alive\n\n"
                continue
            shown = wanted(event)
            if shown is not None:
                yield format_event(shown)

    response = Response(stream_with_context(generate()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx-style proxies: do not buffer
    return response
