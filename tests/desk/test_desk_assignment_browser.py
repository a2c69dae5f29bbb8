"""Round-robin with caps, as three agents see it in their browsers: each inbox holds what the
rules gave them, the overflow waits unassigned, and solving a ticket pulls the waiting one in."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import accounts
from crm_link.models import Ticket
from tests.desk.test_desk_browser import sign_in

pytestmark = pytest.mark.browser
CAPS = {"alice": 2, "bob": 1, "carol": 2}


@pytest.fixture
def three_agents(db, make_user):
    for name, cap in CAPS.items():
        make_user(name, display_name=name.title(), queues=["support"], max_open_tickets=cap)
    with db.session() as session:
        for name in CAPS:
            accounts.set_presence(accounts.get_user(session, name), "available")


def file_chats(client, api_headers, count: int) -> list[int]:
    ids = []
    for i in range(count):
        response = client.post("/api/messages", headers=api_headers, json={
            "channel": "chat", "from": {"email": f"customer{i}@example.jp"},
            "subject": f"問い合わせ {i}", "text": "配送状況を教えてください。"})
        assert response.status_code == 201, response.get_json()
        ids.append(response.get_json()["ticket_id"])
    return ids


def owners(db) -> dict[int, str | None]:
    with db.session() as session:
        names = {u.id: u.username for u in session.scalars(select(accounts.User))}
        return {t.id: names.get(t.assignee_id) for t in session.scalars(select(Ticket))}


def inbox(page, live_server, folder: str) -> list[str]:
    page.goto(f"{live_server.url}/desk?folder={folder}")
    return page.locator("tr.ticket-row").evaluate_all("rows => rows.map(r => r.dataset.ticketId)")


def test_round_robin_respects_each_agents_cap(browser, live_server, client, api_headers,
                                              three_agents, db):
    tickets = file_chats(client, api_headers, 6)
    given = owners(db)
    # Least loaded first, ties to whoever waited longest: alice, bob, carol, alice, carol; bob
    # is full after one, and the sixth finds nobody with room.
    assert [given[t] for t in tickets] == ["alice", "bob", "carol", "alice", "carol", None]

    pages = {}
    for name in CAPS:
        context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
        pages[name] = context.new_page()
        sign_in(pages[name], live_server, name)
        mine = inbox(pages[name], live_server, "mine")
        assert sorted(mine) == sorted(str(t) for t in tickets if given[t] == name)
        assert len(mine) == CAPS[name]
    assert inbox(pages["alice"], live_server, "unassigned") == [str(tickets[5])]

    bob = pages["bob"]                     # bob solves his ticket: room for the waiting one
    bob.goto(f"{live_server.url}/desk/tickets/{tickets[1]}")
    bob.select_option("form.update select[name=status]", "solved")
    bob.click("form.update button[type=submit]")
    bob.wait_for_load_state()
    assert inbox(bob, live_server, "mine") == [str(tickets[5])]
    assert inbox(bob, live_server, "solved") == [str(tickets[1])]
    assert inbox(pages["carol"], live_server, "unassigned") == []
    for page in pages.values():
        page.context.close()
