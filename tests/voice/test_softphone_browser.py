"""The softphone in real Chromium: the real desk page, its scripts and the real Voice SDK, with
only the SDK's Device replaced by a double bridged to the fake Twilio cloud. Whole calls: a
queued caller rung, accepted, held, warm-transferred and wrapped up; a click-to-call from a
ticket in English; a microphone refusal explained. Screenshots go to SOFTPHONE_SHOTS (the
docs' images: scripts/softphone-screenshots) or the test's own folder."""

from __future__ import annotations

import os
from pathlib import Path

import jwt
import pytest
from sqlalchemy import select

from ivr.twilio.simulator import Script
from ivr.voice.models import AgentCall
from tests.acd.conftest import FLOW
from tests.acd.test_distribution import call_in
from tests.desk.desk_helpers import PASSWORD
from tests.support.softphone import BrowserPhone
from tests.voice.conftest import API_SECRET, APP, CUSTOMER, presence, set_state

pytestmark = pytest.mark.browser


@pytest.fixture
def flows_dir(flows_dir):
    (flows_dir / "acd_line.yaml").write_text(FLOW, encoding="utf-8")
    return flows_dir


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("SOFTPHONE_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def shoot(page, name: str) -> None:
        path = folder / f"softphone-{name}.png"
        page.locator("#softphone").screenshot(path=str(path))
        assert path.stat().st_size > 2000

    return shoot


def sign_in(page, live_server, username: str, path: str = "/desk"):
    page.set_default_timeout(5000)
    page.goto(f"{live_server.url}/login?next={path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("section.login button[type=submit]")
    page.wait_for_url(f"{live_server.url}{path}")


def agent_calls(db):
    with db.session() as session:
        rows = session.scalars(select(AgentCall).order_by(AgentCall.id)).all()
        for row in rows:
            session.expunge(row)
        return rows


def test_a_queued_caller_rung_accepted_held_transferred_and_wrapped_up(
        page, live_server, phone, cloud, db, make_user, shots):
    make_user("alice", display_name="佐藤 愛", queues=["sales"])
    make_user("bob", display_name="Bob Smith", queues=["sales"], language="en")
    cloud.device("client:alice", "manual")
    cloud.device("client:bob", "manual")
    browser = BrowserPhone(page, cloud, "alice", APP)
    sign_in(page, live_server, "alice")
    page.select_option("select.presence", "available")
    page.click("header button.state-choice")
    browser.until(lambda: browser.registered)                       # available: registered
    claims = jwt.decode(browser.token, API_SECRET, algorithms=["HS256"],
                        options={"verify_exp": False})
    assert claims["grants"]["identity"] == "alice"
    page.wait_for_selector("#softphone .sp-status:text('着信を受け付けています')")

    thread, box = call_in(phone, Script(talk_seconds=300))
    leg = browser.ring("+819012345678")
    page.wait_for_selector("#softphone .sp-incoming:visible")
    assert page.locator(".sp-from").inner_text() == "+819012345678"
    shots(page, "ja-ringing")
    page.click(".sp-accept")
    page.wait_for_selector("#softphone[data-phase='connected']")
    browser.until(lambda: agent_calls(db) and agent_calls(db)[0].customer_joined)
    page.wait_for_selector(f"section.pop[data-call-sid='{agent_calls(db)[0].customer_call_sid}']")

    page.click(".sp-hold")
    page.wait_for_selector(".sp-hold[aria-pressed='true']")
    room = cloud.rooms[agent_calls(db)[0].room]
    assert agent_calls(db)[0].customer_call_sid in room.held       # the caller hears music
    assert "保留中" in page.locator(".sp-status").inner_text()
    shots(page, "ja-hold")
    page.click(".sp-hold")
    page.wait_for_selector(".sp-hold[aria-pressed='false']")

    set_state(db, "bob", "available")                # free now (not offered the caller first)
    page.click(".sp-transfer-toggle")
    page.wait_for_selector(".sp-transfer select[name=agent] option[value='bob']", state="attached")
    page.select_option(".sp-transfer select[name=agent]", "bob")
    page.click(".sp-transfer button[value='warm']")
    page.wait_for_selector(".sp-transferring:visible")
    bob_leg = browser.until(lambda: next((s for who, s in cloud.rings if who == "bob"), None))
    cloud.pick_up(bob_leg)                                       # Bob answers on his own phone
    page.wait_for_selector(".sp-complete:visible")
    assert "転送を完了" in page.locator(".sp-transfer-state").inner_text()
    shots(page, "ja-consult")
    page.click(".sp-complete")
    browser.far_end_hung_up(leg)                                  # alice is dropped
    page.wait_for_selector(".sp-wrap:visible")
    assert page.locator(".sp-wrap select option").all_inner_texts() == [
        "（選択してください）", "解決", "要フォロー", "返金"]
    page.select_option(".sp-wrap select", "follow_up")
    page.fill(".sp-wrap textarea", "返品の件は Bob に引き継ぎ")
    shots(page, "ja-wrap-up")
    page.click(".sp-wrap button[type=submit]")
    browser.until(lambda: presence(db, "alice") == "available")
    alice_call, bob_call = agent_calls(db)
    assert alice_call.disposition == "follow_up" and alice_call.wrap_note.startswith("返品")
    assert bob_call.transferred_from == alice_call.id and presence(db, "bob") == "on_call"
    cloud.hang_up_leg(bob_leg)
    thread.join(30)


def test_an_english_agent_calls_the_customer_from_the_ticket(page, live_server, phone, cloud,
                                                             db, make_user, ticket, shots):
    make_user("emma", display_name="Emma Brown", queues=["support"], language="en")
    set_state(db, "emma", "available")
    cloud.device(CUSTOMER, "answer", after=1, talk=None)
    browser = BrowserPhone(page, cloud, "emma", APP)
    sign_in(page, live_server, "emma", f"/desk/tickets/{ticket}")
    browser.until(lambda: browser.registered)
    page.click(f"button.dial-button[data-dial-to='{CUSTOMER}']")
    page.wait_for_selector("#softphone[data-phase='connected']")
    assert page.locator(".sp-party").inner_text() == "090-1234-5678"
    browser.until(lambda: agent_calls(db) and agent_calls(db)[0].customer_joined)
    page.click(".sp-mute")
    page.wait_for_selector(".sp-mute[aria-pressed='true']:text('Unmute')")
    page.click(".sp-keypad-toggle")
    page.click(".sp-keypad button[data-digit='5']")
    browser.until(lambda: cloud.leg(browser.placed[0]).digits == ["5"])
    browser.until(lambda: page.locator(".sp-pause:visible").count())   # the call is recorded
    shots(page, "en-connected")
    page.click(".sp-hangup")
    page.wait_for_selector(".sp-wrap:visible")
    assert page.locator(".sp-wrap h3").inner_text() == "Wrap-up"
    shots(page, "en-wrap-up")
    page.select_option(".sp-wrap select", "resolved")
    page.click(".sp-wrap button[type=submit]")
    page.wait_for_selector(".sp-saved:visible:text('Saved.')")     # saved, and said so
    assert page.locator(".sp-wrap").is_hidden()
    browser.until(lambda: presence(db, "emma") == "available")    # and wrap-up ended early
    call = agent_calls(db)[0]
    assert call.direction == "outbound" and call.ticket_id == ticket
    assert call.disposition == "resolved"


def test_a_refused_microphone_is_explained_in_the_agents_language(page, live_server, phone,
                                                                  cloud, db, make_user):
    make_user("alice", display_name="佐藤 愛", queues=["support"])
    set_state(db, "alice", "available")
    browser = BrowserPhone(page, cloud, "alice", APP)
    sign_in(page, live_server, "alice")
    browser.until(lambda: browser.registered)
    page.evaluate("() => window.__deviceError(31401, 'Permission denied')")
    alert = page.locator("#softphone .sp-error")
    alert.wait_for()
    assert "マイクの使用が許可されていません" in alert.inner_text()


def test_the_desk_renews_the_token_before_it_expires(page, live_server, phone, cloud, db,
                                                      make_user):
    make_user("alice", display_name="佐藤 愛", queues=["support"])
    browser = BrowserPhone(page, cloud, "alice", APP)
    sign_in(page, live_server, "alice")
    page.wait_for_function("() => window.__device && window.__device.token")
    page.evaluate("() => window.__device.emit('tokenWillExpire')")   # as the SDK does
    page.wait_for_function("() => window.__device.updates === 1")
    renewed = page.evaluate("() => window.__device.token")
    claims = jwt.decode(renewed, API_SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert claims["grants"]["identity"] == "alice" and browser.registered is False   # offline
