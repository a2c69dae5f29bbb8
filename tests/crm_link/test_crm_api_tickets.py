"""Ticket listing, CSV export (BOM, header, Japanese), ticket edits and per-period statistics."""

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from core import accounts
from crm_link.models import Ticket
from crm_link.reports import period_bounds
from tests.crm_link.crm_helpers import NOW, file
from tests.desk.desk_helpers import PASSWORD


def agent_with_id(session, user_id: int) -> None:
    """An agent account with a chosen id (tickets may only be assigned to existing agents)."""
    user = accounts.create_user(session, f"agent{user_id}", PASSWORD)
    session.execute(update(accounts.User).where(accounts.User.id == user.id).values(id=user_id))


@pytest.fixture
def tickets(db):
    """Four tickets: voice/new/agent 7, email/open, sms/solved/agent 7, chat/closed (Japanese)."""
    with db.session() as session:
        agent_with_id(session, 7)
        agent_with_id(session, 12)
        rows = [
            file(session, at=NOW - dt.timedelta(days=3), phone="090-1111-1111"),
            file(session, at=NOW - dt.timedelta(days=2), channel="email", email="a@example.jp",
                 subject="=SUM(A1)"),
            file(session, at=NOW - dt.timedelta(days=1), channel="sms", phone="090-2222-2222"),
            file(session, at=NOW, channel="chat", member_id="M-9", name="山田 太郎",
                 subject="請求書について"),
        ]
        ids = [r.ticket_id for r in rows]
        for ticket_id, status, assignee in zip(ids, ["new", "open", "solved", "closed"],
                                               [7, None, 7, None], strict=True):
            ticket = session.get(Ticket, ticket_id)
            ticket.status, ticket.assignee_id = status, assignee
    return ids


@pytest.mark.parametrize("query, picks", [
    ("", [3, 2, 1, 0]),
    ("status=new,open", [1, 0]),
    ("status=solved", [2]),
    ("channel=chat", [3]),
    ("channel=voice,sms", [2, 0]),
    ("assignee=7", [2, 0]),
    ("assignee=none", [3, 1]),
    ("since=2024-06-01&until=2024-06-02", [2, 1]),
    ("since=2024-06-03T00:00:00%2B09:00", [3]),
    ("until=2024-06-01", [1, 0]),  # a date `until` includes that whole day
    ("until=2024-06-02&tz=Asia/Tokyo", [2, 1, 0]),  # ends 2024-06-02T15:00Z
])
def test_ticket_filters(client, api_headers, tickets, query, picks):
    response = client.get(f"/api/tickets?{query}", headers=api_headers)
    assert response.status_code == 200, response.get_json()
    assert [t["id"] for t in response.get_json()["tickets"]] == [tickets[i] for i in picks]


@pytest.mark.parametrize("query", ["limit=-1", "limit=0", "limit=x", "before=x",
                                   "before=2147483648", "assignee=99999999999"])
def test_bad_ticket_paging_is_400(client, api_headers, query):
    response = client.get(f"/api/tickets?{query}", headers=api_headers)
    assert response.status_code == 400
    assert response.get_json()["field"] == query.split("=")[0]


def test_ticket_pages(client, api_headers, tickets):
    first = client.get("/api/tickets?limit=3", headers=api_headers).get_json()
    rest = client.get(f"/api/tickets?limit=3&before={first['next_before']}",
                      headers=api_headers).get_json()
    assert [t["id"] for t in first["tickets"] + rest["tickets"]] == tickets[::-1]
    assert rest["next_before"] is None


@pytest.mark.parametrize("query, field", [
    ("status=done", "status"), ("channel=fax", "channel"), ("assignee=bob", "assignee"),
    ("since=yesterday", "since"), ("until=2024-13-01", "until"), ("tz=Mars/Base", "tz"),
])
def test_bad_ticket_filters_are_400(client, api_headers, query, field):
    for url in ("/api/tickets", "/api/tickets.csv"):
        response = client.get(f"{url}?{query}", headers=api_headers)
        assert response.status_code == 400, (url, query)
        assert response.get_json()["field"] == field


def test_csv_has_bom_header_japanese_and_no_formulas(client, api_headers, tickets):
    response = client.get("/api/tickets.csv?channel=chat,email", headers=api_headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["id", "customer_id", "customer_name", "subject"]
    assert [r[0] for r in rows[1:]] == [str(tickets[1]), str(tickets[3])]
    assert rows[2][2:4] == ["山田 太郎", "請求書について"]
    assert rows[1][3] == "'=SUM(A1)"


def test_csv_of_nothing_is_just_the_header(client, api_headers):
    response = client.get("/api/tickets.csv", headers=api_headers)
    assert response.data.decode("utf-8-sig").splitlines() == [
        "id,customer_id,customer_name,subject,status,priority,channel,assignee_id,created_at,"
        "updated_at,first_response_at,solved_at"]


@pytest.mark.parametrize("body, status, check", [
    ({"status": "solved"}, 200, lambda t: t["solved_at"] is not None),
    ({"status": "open"}, 200, lambda t: t["solved_at"] is None),
    ({"priority": "urgent", "assignee_id": 12}, 200,
     lambda t: (t["priority"], t["assignee_id"]) == ("urgent", 12)),
    ({"assignee_id": None}, 200, lambda t: t["assignee_id"] is None),
    ({"status": "done"}, 400, None),
    ({"priority": "meh"}, 400, None),
    ({"assignee_id": "7"}, 400, None),
    ({"assignee_id": 404}, 400, None),                # no such agent
    ({"owner": 1}, 400, None),
    ({}, 400, None),
])
def test_ticket_edits(client, api_headers, tickets, body, status, check):
    response = client.patch(f"/api/tickets/{tickets[0]}", json=body, headers=api_headers)
    assert response.status_code == status, response.get_json()
    if check:
        assert check(response.get_json())


def test_editing_a_missing_ticket_is_404(client, api_headers):
    response = client.patch("/api/tickets/999", json={"status": "open"}, headers=api_headers)
    assert response.status_code == 404


def test_stats_per_day_in_utc(client, api_headers, tickets):
    response = client.get("/api/stats?since=2024-05-31&until=2024-06-03&by=day",
                          headers=api_headers)
    body = response.get_json()
    assert response.status_code == 200, body
    days = {p["start"][:10]: p for p in body["periods"]}
    assert list(days) == ["2024-05-31", "2024-06-01", "2024-06-02", "2024-06-03"]
    assert days["2024-05-31"]["tickets"]["by_channel"] == {"voice": 1}
    assert days["2024-06-01"]["tickets"]["by_channel_status"] == {"email": {"open": 1}}
    assert days["2024-06-03"]["tickets"]["by_status"] == {"closed": 1}
    assert days["2024-06-03"]["interactions"] == {"total": 1, "by_channel": {"chat": 1},
                                                  "by_direction": {"inbound": 1}}
    assert sum(p["tickets"]["total"] for p in body["periods"]) == 4


def test_stats_in_tokyo_move_the_day_boundary(client, api_headers, tickets):
    # 09:00 UTC is 18:00 in Tokyo: same local day; a month groups all four.
    body = client.get("/api/stats?since=2024-05-31&until=2024-06-03&by=day&tz=Asia/Tokyo",
                      headers=api_headers).get_json()
    assert body["periods"][0]["start"] == "2024-05-31T00:00:00+09:00"
    assert [p["tickets"]["total"] for p in body["periods"]] == [1, 1, 1, 1]
    month = client.get("/api/stats?since=2024-06-01&until=2024-06-30&by=month&tz=Asia/Tokyo",
                       headers=api_headers).get_json()
    assert len(month["periods"]) == 1 and month["periods"][0]["tickets"]["total"] == 3
    week = client.get("/api/stats?since=2024-06-01&until=2024-06-09&by=week",
                      headers=api_headers).get_json()
    assert [p["start"][:10] for p in week["periods"]] == ["2024-05-27", "2024-06-03"]
    assert [p["tickets"]["total"] for p in week["periods"]] == [3, 1]


@pytest.mark.parametrize("query, field", [
    ("by=year", "by"), ("tz=Nowhere", "tz"), ("since=2024-06-05&until=2024-06-01", "since"),
    ("since=2000-01-01&until=2024-01-01&by=day", "by"), ("since=junk", "since"),
])
def test_bad_stats_queries_are_400(client, api_headers, query, field):
    response = client.get(f"/api/stats?{query}", headers=api_headers)
    assert response.status_code == 400
    assert response.get_json()["field"] == field


@pytest.mark.parametrize("day, zone, hours", [
    ("2024-03-10", "America/New_York", 23),  # spring forward
    ("2024-11-03", "America/New_York", 25),  # fall back
    ("2024-03-10", "Asia/Tokyo", 24),
])
def test_periods_follow_daylight_saving(day, zone, hours):
    start = dt.datetime.fromisoformat(day).replace(tzinfo=ZoneInfo(zone))
    bounds = period_bounds(start, start + dt.timedelta(hours=1), "day", ZoneInfo(zone))
    assert (bounds[1] - bounds[0]) == dt.timedelta(hours=hours)
