"""Webhooks hand live events to a background thread: order kept, a hung Redis never waits."""

from __future__ import annotations

import logging
import socket
import time

import pytest
import redis as redis_lib
from redis.backoff import NoBackoff
from redis.retry import Retry

from core.events import BackgroundEvents, Events
from tests.support.listener import Listener


@pytest.fixture
def silent_redis():
    """A TCP port that accepts connections and never answers: a hung Redis."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    client = redis_lib.Redis(host="127.0.0.1", port=server.getsockname()[1],
                             socket_timeout=0.3, socket_connect_timeout=0.3,
                             retry=Retry(NoBackoff(), 0))
    yield client
    client.close()
    server.close()


def test_events_reach_listeners_in_the_order_published(redis):
    listener = Listener(redis)
    publisher = BackgroundEvents(lambda: Events(redis))
    try:
        for number in range(50):
            publisher.publish("call.arrived", call_sid=f"CA{number:032d}")
        assert publisher.drain(timeout=5)
        deadline = time.monotonic() + 5
        while len(listener.events) < 50 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [e["call_sid"] for e in listener.events] == [f"CA{n:032d}" for n in range(50)]
    finally:
        listener.stop = True
        listener.thread.join(timeout=5)


def test_a_hung_redis_never_holds_up_the_publisher(silent_redis, caplog):
    publisher = BackgroundEvents(lambda: Events(silent_redis), capacity=3)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="core.events"):
        for number in range(6):  # one in the thread's hands, three waiting, two dropped
            publisher.publish("call.ended", call_sid=f"CA{number}")
        handed_over = time.monotonic() - started
        assert handed_over < 0.2, f"publishing waited {handed_over:.2f} s on a hung Redis"
        assert publisher.drain(timeout=5)  # each send gives up after the socket timeout
    messages = [r.getMessage() for r in caplog.records]
    assert messages.count("event dropped: too many waiting") >= 1
    assert "event not published" in messages


def test_unknown_kinds_are_refused_at_once():
    with pytest.raises(ValueError, match="Unknown event kind 'call.exploded'"):
        BackgroundEvents(lambda: Events(None)).publish("call.exploded")
