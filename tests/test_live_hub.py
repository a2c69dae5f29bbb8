"""The process's one subscription to the live channel: every open stream gets every message,
Redis sees one subscriber however many streams, and closed streams are let go."""

import gc
import itertools

from core.events import Events
from core.live_hub import LiveHub


def test_one_subscription_feeds_every_stream(redis):
    hub = LiveHub(lambda: redis)
    try:
        streams = [hub.open().listen(timeout=2) for _ in range(25)]
        assert redis.pubsub_numsub(Events(redis).channel)[0][1] == 1
        Events(redis).send({"kind": "call.arrived", "call_sid": "CA1"})
        got = [next(stream) for stream in streams]
        assert all(event and event["call_sid"] == "CA1" for event in got)
        assert hub.streams() == 25
        for stream in streams:
            stream.close()
        assert hub.streams() == 0
    finally:
        hub.close()


def test_silence_yields_keepalive_turns_and_unread_streams_are_let_go(redis):
    hub = LiveHub(lambda: redis)
    try:
        stream = hub.open().listen(timeout=0.1)
        assert next(stream) is None                       # nothing published: a keep-alive turn
        hub.open()                                        # opened, never read, dropped
        gc.collect()
        assert hub.streams() == 1
        Events(redis).send({"kind": "call.ended", "call_sid": "CA2"})
        kinds = [e["kind"] for e in itertools.islice(stream, 3) if e]
        assert kinds == ["call.ended"]
    finally:
        hub.close()
