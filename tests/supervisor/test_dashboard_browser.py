"""In real Chromium: the live wall moves when a call comes in, and reports show the seeded figures."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re

import pytest
from playwright.sync_api import expect

from tests.desk.desk_helpers import PASSWORD
from tests.supervisor import dashboard_fixtures as fx

pytestmark = pytest.mark.browser

NOON = "2026-11-24T12:00+09:00"     # a weekday, open hours: "0" reaches the support queue
JA_LINE = "+81312345678"


def _sign_in(page, live_server, username: str, path: str) -> None:
    page.goto(f"{live_server.url}{path}")
    assert "/login" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action=\"/login\"] button[type=submit]")
    page.wait_for_url(f"{live_server.url}{path}")


def test_the_live_wall_follows_a_real_call_without_a_reload(page, live_server, make_user,
                                                            twilio, at):
    make_user("sam", role="supervisor")
    at(NOON)
    _sign_in(page, live_server, "sam", "/supervisor/live")
    expect(page.locator("#live[data-stream=open]")).to_be_attached(timeout=5000)
    expect(page.locator("#live-in-ivr")).to_have_text("0")
    page.evaluate("window.noReload = 'still here'")

    call = {"CallSid": "CA" + "1" * 32, "From": "+819011112222", "To": JA_LINE,
            "Direction": "inbound", "CallStatus": "ringing"}
    status, menu = twilio.post("/twilio/voice", call)
    assert status == 200
    expect(page.locator("#live-in-ivr")).to_have_text("1", timeout=5000)

    action = re.search(r'<Gather[^>]*action="([^"]+)"', menu).group(1).replace("&amp;", "&")
    status, _ = twilio.post(action, {**call, "CallStatus": "in-progress", "Digits": "0"})
    assert status == 200
    expect(page.locator("#live-waiting")).to_have_text("1", timeout=5000)
    expect(page.locator("#live-in-ivr")).to_have_text("0")
    longest = page.locator("#live-queues tr[data-queue=support] td.longest")
    expect(longest).to_have_text(re.compile(r"^0:0[1-9]$"), timeout=5000)  # counts up by itself
    assert page.evaluate("window.noReload") == "still here"


def test_reports_show_the_seeded_figures_and_download_as_csv(page, live_server, make_user, db):
    first, last = dt.date(2026, 11, 2), dt.date(2026, 11, 22)
    ids = {name: make_user(name, display_name=f"{name}さん").id for name in fx.AGENTS}
    history = fx.generate(random.Random(11), first, last, n_calls=90, n_tickets=30,
                          n_interactions=30, user_ids=ids)
    with db.session() as session:
        fx.store(session, history, ids)
    make_user("sam", role="supervisor")
    path = f"/supervisor/reports?from={first}&to={last}&by=week"
    _sign_in(page, live_server, "sam", path)

    expected = fx.expected_summary(history, first, last, "week")
    assert len(expected) == 3
    for label, want in expected.items():
        row = page.locator(f'#table-summary tr[data-row="{label}"]')
        for key in ("contacts", "calls", "answered", "abandoned_ivr", "abandoned_queue",
                    "voicemail"):
            expect(row.locator(f"td[data-col={key}]")).to_have_text(str(want.get(key, 0)))
        shown = row.locator("td[data-col=p90_wait]").inner_text()
        assert shown == (f"{want['p90_wait']:.1f}" if want["p90_wait"] is not None else "—")
    assert page.locator(".reports-charts svg").count() == 2

    with page.expect_download() as download:
        page.click("#table-summary a.reports-csv")
    body = open(download.value.path(), "rb").read()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["期間", "受信コンタクト", "着信"]
    assert {row[0]: int(row[2]) for row in rows[1:]} == {
        label: want["calls"] for label, want in expected.items()}
