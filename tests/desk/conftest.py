"""Desk fixtures: users in the real test database, and a signed-in browser client."""

from __future__ import annotations

import datetime as dt
import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from tests.desk.desk_data import seed_desk
from tests.desk.desk_helpers import login
from tests.support.listener import Listener


@pytest.fixture
def seeded(db, settings):
    """山田花子's email and voicemail, Pat Lee's chat (tests/desk/desk_data.py), as of now."""
    return seed_desk(db, settings.recordings_dir, dt.datetime.now(dt.UTC))


@pytest.fixture
def signed_in(client, make_user):
    """A client signed in as a fresh agent 'alice'."""
    make_user("alice", display_name="Alice Agent")
    response = login(client)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


class MailSink:
    """An aiosmtpd handler keeping every message it is given."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 -- aiosmtpd's naming
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def messages(self):
        """The received messages, parsed as a mail client would."""
        return [message_from_bytes(e.original_content or e.content, policy=policy.default)
                for e in self.envelopes]


@pytest.fixture
def smtp_server():
    """A real SMTP server on localhost (aiosmtpd); `.url` goes in SMTP_URL, `.sink` has the mail."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    controller.url = f"smtp://127.0.0.1:{port}"
    controller.sink = sink
    yield controller
    controller.stop()


@pytest.fixture
def listening():
    """Start a live-channel listener; stopped and joined after the test."""
    started = []

    def start(client) -> Listener:
        started.append(Listener(client))
        return started[-1]

    yield start
    for listener in started:
        listener.stop = True
        listener.thread.join(timeout=5)
