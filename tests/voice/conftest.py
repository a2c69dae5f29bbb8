"""Desk calls' fixtures: the softphone's settings (API key, TwiML App), the fake cloud knowing
them, an agent of `support`, and a customer with an open ticket and a phone that answers."""

from __future__ import annotations

import datetime as dt

import pytest

from core import agent_states
from core.accounts import User
from crm_link.contacts import file_contact
from crm_link.directory import Contact
from tests.conftest import PUBLIC_BASE_URL

API_KEY = "SK" + "1" * 32
API_SECRET = "softphone-key-secret-0123456789abcdef"
APP = "AP" + "2" * 32
CUSTOMER = "+819012345678"
QUEUES = """
queues:
  support:
    wrap_up: 20
    caller_id: "+81312345678"
    recording_notice: {ja-JP: この通話は録音されます。, en-US: This call is recorded.}
    dispositions: [resolved, follow_up]
  sales:
    wrap_up: 30
    ring_timeout: 20
outbound: {queue: support}
dispositions:
  resolved: {ja-JP: 解決, en-US: Resolved}
  follow_up: {ja-JP: 要フォロー, en-US: Follow-up needed}
  refund: {ja-JP: 返金, en-US: Refund}
"""


@pytest.fixture
def flows_dir(flows_dir):
    (flows_dir / "queues.yaml").write_text(QUEUES, encoding="utf-8")
    return flows_dir


@pytest.fixture
def settings(settings, cloud):
    cloud.api_keys[API_KEY] = API_SECRET
    cloud.application(APP, PUBLIC_BASE_URL + "/twilio/client")
    return settings.with_(twilio_api_key_sid=API_KEY, twilio_api_key_secret=API_SECRET,
                          twilio_twiml_app_sid=APP)


@pytest.fixture
def alice(make_user, db):
    """An available agent of `support` whose browser answers as the test says."""
    make_user("alice", display_name="Alice Agent", queues=["support"])
    set_state(db, "alice", "available")
    return "alice"


@pytest.fixture
def ticket(db):
    """山田花子's open email ticket; her phone is on record."""
    result = file_contact(db, Contact(channel="email", email="hanako@example.jp",
                                      name="山田花子", phone=CUSTOMER, subject="返品について",
                                      text="返品したいです。", external_id="<m1@example.jp>",
                                      at=dt.datetime.now(dt.UTC)))
    return result.ticket_id


def set_state(db, username: str, status: str, reason: str | None = None) -> None:
    with db.session() as session:
        user = session.query(User).filter_by(username=username).one()
        agent_states.set_by_hand(user, status, reason)


def presence(db, username: str) -> str:
    with db.session() as session:
        return session.query(User).filter_by(username=username).one().presence
