"""The desk in real headless Chromium: screen-pops, voicemail playback, template replies, and the
collision warning between two agents on one ticket."""

from __future__ import annotations

import datetime as dt

import pytest

from core import agent_states
from core.accounts import find_user
from ivr.twilio.simulator import Script
from tests.desk.desk_data import HANAKO_PHONE, JA_LINE, VOICEMAIL_TEXT
from tests.desk.desk_helpers import PASSWORD

pytestmark = pytest.mark.browser
NOON = "2026-11-24T12:00+09:00"


@pytest.fixture
def settings(settings, smtp_server):
    return settings.with_(smtp_url=smtp_server.url, smtp_from="ABCストア <support@abc.example.jp>")


@pytest.fixture
def agents(make_user, db, cloud):
    cloud.device("client:alice", "answer", after=2)     # her browser phone answers
    make_user("alice", display_name="佐藤 愛", queues=["support"], dial="client:alice")
    make_user("bob", display_name="Bob Smith", language="en", queues=["support"],
              dial="client:bob")
    with db.session() as session:
        find_user(session, "alice").presence = "available"


def sign_in(page, live_server, username: str, path: str = "/desk"):
    page.set_default_timeout(5000)
    page.goto(f"{live_server.url}/login?next={path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("section.login button[type=submit]")
    page.wait_for_url(f"{live_server.url}{path}")


def test_a_ringing_call_pops_the_callers_history(page, live_server, agents, seeded, phone, at,
                                                 cloud):
    sign_in(page, live_server, "alice")
    page.wait_for_selector("#pops[data-ready='1']", state="attached")
    at(NOON)
    result = phone.call(HANAKO_PHONE, JA_LINE, Script(inputs=["0"]))
    cloud.wait_idle()
    pop = page.locator(f"section.pop[data-call-sid='{result.call_sid}']")
    pop.wait_for(timeout=5000)
    assert pop.locator(".caller").inner_text() == "山田花子"
    assert "電話番号" in pop.locator(".matched-by").inner_text()
    history = pop.locator(".timeline").inner_text()
    assert "先週注文したスニーカーがまだ届きません" in history      # the caller's email
    assert pop.locator(".pop-tickets").inner_text().count("注文した商品が届きません") == 1
    page.wait_for_selector(f"section.pop-answered[data-call-sid='{result.call_sid}']")
    page.click(f"section.pop[data-call-sid='{result.call_sid}'] .pop-close")
    assert page.locator("section.pop").count() == 0


def test_a_voicemail_plays_beside_its_transcript(page, live_server, agents, seeded):
    sign_in(page, live_server, "alice", f"/desk/tickets/{seeded.hanako_ticket}")
    recording = page.locator(f".recording[data-recording-id='{seeded.recording_id}']")
    assert VOICEMAIL_TEXT in recording.locator(".transcript").inner_text()
    played = recording.locator("audio").evaluate("""audio => new Promise((resolve, reject) => {
        audio.muted = true;   // muted playback needs no user gesture under autoplay rules
        audio.addEventListener("timeupdate", () => {
            if (audio.currentTime > 0.2) resolve({t: audio.currentTime, d: audio.duration});
        });
        audio.addEventListener("error", () => reject(new Error("media error " + audio.error.code)));
        audio.play().catch(reject);
    })""")
    assert played["t"] > 0.2 and 10 < played["d"] < 13             # the real 11 s sample


def test_a_template_reply_reaches_the_mail_server(page, live_server, agents, seeded, smtp_server):
    sign_in(page, live_server, "alice", f"/desk/tickets/{seeded.hanako_ticket}")
    page.select_option("#template-select", "apology_delay")
    text = page.input_value("#reply-text")
    assert text.startswith("山田花子様") and "佐藤 愛" in text
    page.click("#reply-form button[type=submit]")
    page.wait_for_selector("#reply-form .form-result:has-text('返信を送信しました')")
    [mail] = smtp_server.sink.messages()
    assert mail["To"] == "hanako.yamada@example.jp"
    assert "配送が遅れており" in mail.get_content()
    page.wait_for_selector("#timeline .entry-outbound")


def test_two_agents_on_one_ticket_are_warned_and_the_second_send_needs_confirming(
        browser, live_server, agents, seeded, smtp_server):
    ticket = f"/desk/tickets/{seeded.pat_ticket}"
    contexts = [browser.new_context(locale=locale) for locale in ("ja-JP", "en-US")]
    try:
        alice, bob = (context.new_page() for context in contexts)
        sign_in(alice, live_server, "alice", ticket)
        sign_in(bob, live_server, "bob", ticket)
        alice.wait_for_selector(".presence-viewing:has-text('bob')")          # live, no reload
        bob.wait_for_selector(".presence-viewing:has-text('alice')")
        alice.fill("#reply-text", "")
        alice.type("#reply-text", "Hi Pat")
        bob.wait_for_selector(".presence-replying:has-text('alice is writing a reply')")
        bob.fill("#reply-text", "Hello Pat, your refund is on its way.")
        bob.click("#reply-form button[type=submit]")
        refused = bob.locator("#reply-form .collision-refused")
        refused.wait_for()
        assert "alice is replying to ticket" in refused.inner_text()
        assert smtp_server.sink.envelopes == []
        bob.check("#reply-form input[name=confirm]")
        bob.click("#reply-form button[type=submit]")
        bob.wait_for_selector("#reply-form .form-result:has-text('Reply sent')")
        assert len(smtp_server.sink.envelopes) == 1
        alice.wait_for_selector(".ticket-changed:visible")                  # alice sees it live
        alice.wait_for_selector("#timeline .entry-outbound:has-text('refund is on its way')")
    finally:
        for context in contexts:
            context.close()


def test_the_header_state_follows_the_call(page, live_server, agents, db):
    sign_in(page, live_server, "alice")
    page.wait_for_selector("#pops[data-ready='1']", state="attached")
    state = page.locator(".state[data-state]")
    assert state.get_attribute("data-state") == "available"
    with db.session() as session:       # the distributor offers her a call
        agent_states.move(session, find_user(session, "alice").id, ("available",), "reserved",
                          dt.datetime.now(dt.UTC))
    page.wait_for_selector(".state[data-state='reserved']")
    assert state.inner_text() == "着信中" and page.locator("select.presence").is_hidden()
    with db.session() as session:
        agent_states.move(session, find_user(session, "alice").id, ("reserved",), "wrap_up",
                          dt.datetime.now(dt.UTC))
    page.wait_for_selector(".state[data-state='wrap_up']")
    assert state.inner_text() == "後処理" and page.locator("select.presence").is_visible()
