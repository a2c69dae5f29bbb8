"""Supervisor flow pages in real headless Chromium: graph, preview by key presses, diff."""

import pytest
from playwright.sync_api import expect

from tests.desk.desk_helpers import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def signed_in(page, live_server, make_user):
    make_user("sue", role="supervisor", language="en")
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=username]", "sue")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action=\"/login\"] button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desk")
    return page


def test_graph_page_draws_every_step(signed_in, live_server, app):
    page = signed_in
    page.click("nav.mainnav >> text=Flows")
    page.click("a[href='/supervisor/flows/english']")
    svg = page.locator("#flow-graph svg")
    assert svg.count() == 1 and svg.bounding_box()["width"] > 200
    texts = set(page.eval_on_selector_all("#flow-graph svg text",
                                          "nodes => nodes.map(n => n.textContent)"))
    assert set(app.extensions["flows"].current().flows["english"].steps) <= texts
    assert "press 3" in texts


def test_preview_walks_the_menu_by_pressing_keys(signed_in, live_server):
    page = signed_in
    page.goto(f"{live_server.url}/supervisor/flows/support/preview")
    page.fill("input[name=caller]", "+819011112222")
    page.fill("input[type=date]", "2026-11-24")
    page.fill("input[type=time]", "12:00")
    page.click("#setup button[type=submit]")
    transcript = page.locator("#transcript")
    expect(transcript).to_contain_text("お電話ありがとうございます。")
    page.click("#moves button[data-key='9']")
    expect(transcript).to_contain_text("For orders, press 1.")
    page.keyboard.press("3")  # flows_preview.js: a typed key presses its button
    page.wait_for_url("**m=3**")
    expect(transcript).to_contain_text("Our stores are open every day from 10 a.m. to 8 p.m.")
    expect(transcript).to_contain_text("Our stores are open now.")
    page.click("#undo button")
    page.wait_for_url(lambda url: "m=3" not in url)
    expect(transcript).not_to_contain_text("Our stores are open now.")
    expect(transcript).to_contain_text("For orders, press 1.")


def test_revisions_page_shows_a_diff_after_the_flow_file_changes(signed_in, live_server,
                                                                 flows_dir):
    page = signed_in
    path = flows_dir / "english.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "Thank you for calling Northwind. Goodbye.", "Goodbye from Northwind!"),
        encoding="utf-8")
    page.goto(f"{live_server.url}/supervisor/flows/english/revisions")
    assert page.locator("tbody tr").count() == 2
    page.click("#compare button[type=submit]")
    expect(page.locator("#diff")).to_be_visible()
    diff = page.inner_text("#diff")
    assert '-    say: "Thank you for calling Northwind. Goodbye."' in diff
    assert '+    say: "Goodbye from Northwind!"' in diff
    assert page.locator(".svflows-add").count() == 1
