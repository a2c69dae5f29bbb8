"""The distributor's tests: a fake of Twilio's REST API and the agents' phones, a line whose
flow goes straight to a queue, and queues with short rings and wrap-ups."""

import time

import pytest

from core import agent_states
from core.accounts import User

LINE = "+815012340000"
PRIORITY_LINE = "+815012340001"       # the same queue, callers ahead of the others
FLOW = """
name: acd_line
numbers: ["+815012340000"]
language: ja-JP
timezone: Asia/Tokyo
start: welcome
steps:
  welcome:
    say: "お電話ありがとうございます。"
    next: line
  line:
    connect: {queue: sales, max_wait: 3000, no_answer: sorry, next: thanks}
  sorry:
    say: "ただいま電話が大変混み合っております。"
    next: end
  thanks:
    say: "ありがとうございました。"
    next: end
  end:
    hangup: true
"""
QUEUES = """
queues:
  sales:
    wrap_up: 30
    ring_timeout: 10
    callback: {offer_after: 60, key: "1", attempts: 2, retry_after: 600,
               caller_id: "+815012340000"}
"""


@pytest.fixture
def flows_dir(flows_dir):
    (flows_dir / "acd_line.yaml").write_text(FLOW, encoding="utf-8")
    priority = FLOW.replace("acd_line", "acd_priority").replace(LINE, PRIORITY_LINE).replace(
        "queue: sales,", "queue: sales, priority: 5,")
    (flows_dir / "acd_priority.yaml").write_text(priority, encoding="utf-8")
    (flows_dir / "queues.yaml").write_text(QUEUES, encoding="utf-8")
    return flows_dir


@pytest.fixture
def agent(make_user, db, cloud):
    """An agent (of `sales`, unless told) whose browser phone answers as told; available."""

    def make(username: str, answer: str = "answer", after: float = 1.0,
             available: bool = True, queues=("sales",), **fields) -> str:
        make_user(username, queues=list(queues), **fields)
        cloud.device(f"client:{username}", answer, after)
        if available:
            set_state(db, username, "available")
        return username

    return make


def set_state(db, username: str, status: str, reason: str | None = None) -> None:
    with db.session() as session:
        user = session.query(User).filter_by(username=username).one()
        agent_states.set_by_hand(user, status, reason)


def wait_for(predicate, timeout: float = 10.0):
    """Poll until `predicate()` is true (the distributor works on its own thread)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {getattr(predicate, '__name__', predicate)}")
