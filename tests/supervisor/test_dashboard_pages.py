"""Dashboard and report pages: who may see them, the JSON snapshot, and safe CSV downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from crm_link.models import Customer, Ticket
from ivr.models import Call
from supervisor.csv_export import BOM, safe_cell, to_csv
from supervisor.web.dashboard import live_event
from tests.desk.desk_helpers import login

PAGES = ("/supervisor/live", "/supervisor/live.json", "/supervisor/live/events",
         "/supervisor/reports", "/supervisor/reports/summary.csv")
JST = dt.timezone(dt.timedelta(hours=9))


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", PAGES)
def test_agents_are_refused(client, make_user, path):
    make_user("alice")
    login(client, "alice")
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_supervisors_and_admins_get_the_pages_and_nav_links(client, make_user, role):
    make_user("sam", role=role, language="en")
    login(client, "sam")
    live = client.get("/supervisor/live")
    assert live.status_code == 200 and "Calls in the IVR" in live.get_data(as_text=True)
    assert live.headers["Content-Security-Policy"].startswith("default-src 'self'")
    page = client.get("/supervisor/reports?from=2026-11-01&to=2026-11-30&by=week")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html and "2026-W45" in html
    assert 'href="/supervisor/live"' in html and 'href="/supervisor/reports"' in html
    assert client.get("/supervisor/live.json").json["in_ivr"] == 0


def test_agents_do_not_see_the_nav_links(client, make_user):
    make_user("alice")
    login(client, "alice")
    assert "/supervisor/reports" not in client.get("/desk").get_data(as_text=True)


def test_bad_report_parameters_are_explained(client, make_user):
    make_user("sam", role="supervisor", language="en")
    login(client, "sam")
    page = client.get("/supervisor/reports?from=2026-12-01&to=2026-11-01")
    assert page.status_code == 400 and "after it ends" in page.get_data(as_text=True)
    assert client.get("/supervisor/reports/secret.csv").status_code == 404
    assert client.get("/supervisor/reports?channel=fax").status_code == 400


def test_live_json_and_page_show_calls_in_the_ivr_and_talking(client, make_user, db, at):
    make_user("sam", role="supervisor")
    now = at("2026-11-24T12:00+09:00")
    with db.session() as session:
        session.add(Call(call_sid="CA1", from_number="+8190", to_number="+8131",
                         flow_name="support", flow_revision="r1", state={}, events=[],
                         started_at=now))
        session.add(Call(call_sid="CA2", from_number="+8190", to_number="+8131",
                         flow_name="support", flow_revision="r1", state={}, events=[],
                         started_at=now, outcome="agent", queue="support", agent="鈴木",
                         queued_at=now, answered_at=now + dt.timedelta(minutes=-3)))
    login(client, "sam")
    snap = client.get("/supervisor/live.json").json
    assert (snap["in_ivr"], snap["talking"], snap["waiting"]) == (1, 1, 0)
    html = client.get("/supervisor/live").get_data(as_text=True)
    assert "<td>鈴木</td><td>support</td>" in html and ">11:57:00</td>" in html  # Tokyo time


def test_safe_cells_neutralise_formulas_only_in_text():
    assert [safe_cell(v) for v in ("=1+2", "+81", "-x", "@SUM(A1)", "\tx", "ok", "山田")] == [
        "'=1+2", "'+81", "'-x", "'@SUM(A1)", "'\tx", "ok", "山田"]
    assert [safe_cell(v) for v in (-3, 2.25, None)] == ["-3", "2.2", ""]
    body = to_csv(["名前", "メモ"], [["山田, 花子", 'say "hi"\nbye']])
    assert body.startswith(BOM.encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows == [["名前", "メモ"], ["山田, 花子", 'say "hi"\nbye']]


def test_agent_csv_has_a_bom_japanese_names_and_no_formulas(client, make_user, db):
    make_user("sam", role="supervisor", language="ja")
    yamada = make_user("yamada", display_name="山田太郎")
    evil = make_user("evil", display_name='=HYPERLINK("http://x","y")')
    solved = dt.datetime(2026, 11, 10, 23, 30, tzinfo=JST)
    with db.session() as session:
        customer = Customer(name="客")
        session.add(customer)
        session.flush()
        for user, count in ((yamada, 2), (evil, 1)):
            for _ in range(count):
                session.add(Ticket(customer_id=customer.id, subject="s", channel="email",
                                   status="solved", assignee_id=user.id,
                                   created_at=solved - dt.timedelta(hours=5), solved_at=solved))
    login(client, "sam")
    response = client.get("/supervisor/reports/agents.csv?from=2026-11-10&to=2026-11-10")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["エージェント", "ユーザー名", "対応通話", "解決チケット", "待機（分）",
                       "通話（分）", "後処理（分）", "離席（分）", "離席の内訳（分）",
                       "平均処理時間（秒）", "稼働率（%）"]
    by_name = {row[1]: row for row in rows[1:]}
    assert by_name["yamada"] == ["山田太郎", "yamada", "0", "2", "0.0", "0.0", "0.0", "0.0", "",
                                 "", ""]    # no state history in that period
    assert by_name["evil"][0] == "'" + '=HYPERLINK("http://x","y")'
    assert by_name["evil"][3] == "1"
    # 23:30 JST on the 10th is 14:30 UTC: the 11th in Tokyo has none of it.
    later = client.get("/supervisor/reports/agents.csv?from=2026-11-11&to=2026-11-11")
    assert len(list(csv.reader(io.StringIO(later.get_data().decode("utf-8-sig"))))) == 1


def test_the_stream_passes_figure_changing_events_without_caller_details():
    arrived = {"kind": "call.arrived", "at": "t", "caller": {"name": "山田花子"}, "from": "+81"}
    assert live_event(arrived) == {"kind": "call.arrived", "at": "t"}
    assert live_event({"kind": "ticket.changed", "at": "t", "ticket_id": 1})["kind"] == \
        "ticket.changed"
    assert live_event({"kind": "ticket.viewing", "at": "t"}) is None
