"""Supervisor flow pages through the Flask client: access, graph, history and diff, preview."""

import re

import pytest
from sqlalchemy import func, select

from ivr.models import Call, FlowRevision
from tests.desk.desk_helpers import login


@pytest.fixture
def supervisor(client, make_user):
    make_user("sue", role="supervisor", language="en")
    assert login(client, "sue").status_code == 302
    return client


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/supervisor/flows", "/supervisor/flows/support",
                                  "/supervisor/flows/support/revisions",
                                  "/supervisor/flows/support/preview"])
def test_agents_are_refused_and_anonymous_visitors_sent_to_sign_in(client, make_user, path):
    assert client.get(path).status_code == 302
    make_user("alice", role="agent")
    login(client, "alice")
    assert client.get(path).status_code == 403


def test_admins_pass_and_see_the_nav_link(client, make_user):
    make_user("ada", role="admin", language="ja")
    login(client, "ada")
    html = page(client, "/supervisor/flows")
    assert '<a href="/supervisor/flows">フロー</a>' in html
    assert "通販・店舗のお客様サポート窓口" in html


def test_index_lists_the_live_flows_with_their_revisions(supervisor, app):
    html = page(supervisor, "/supervisor/flows")
    for flow in app.extensions["flows"].current().flows.values():
        assert f"<code>{flow.revision}</code>" in html
    assert 'href="/supervisor/flows/english/preview"' in html


def test_graph_page_inlines_the_svg_and_has_security_headers(supervisor):
    response = supervisor.get("/supervisor/flows/support")
    html = response.get_data(as_text=True)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert ">returns_callback</text>" in svg and ">press 9</text>" in svg
    assert "No lint warnings." in html
    png = supervisor.get("/supervisor/flows/support/graph.png")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    assert supervisor.get("/supervisor/flows/support/graph.mermaid").data.startswith(
        b"flowchart TD")
    assert supervisor.get("/supervisor/flows/nope").status_code == 404
    assert supervisor.get("/supervisor/flows/support/graph.exe").status_code == 404


def test_graph_page_falls_back_to_mermaid_without_graphviz(supervisor, monkeypatch):
    import shutil
    monkeypatch.setattr(shutil, "which", lambda name: None)
    html = page(supervisor, "/supervisor/flows/english")
    assert "Graphviz `dot` was not found on PATH" in html and "flowchart TD" in html


def test_history_counts_calls_and_diffs_two_revisions_escaped(supervisor, app, db,
                                                              flows_dir, twilio, at):
    at("2026-11-24T12:00+09:00")
    twilio.call("+819011112222", "+81312345678")
    registry = app.extensions["flows"]
    first = registry.current().flows["support"].revision
    path = flows_dir / "support_ja.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "お電話ありがとうございました。", "<b>またのお電話を</b>"), encoding="utf-8")
    assert registry.reload()
    registry.archive_pending()
    second = registry.current().flows["support"].revision
    html = page(supervisor, f"/supervisor/flows/support/revisions?old={first}&new={second}")
    row = re.search(rf"<code>{first}</code>.*?svflows-calls\">(\d+)<", html, re.S)
    assert row and row.group(1) == "1"
    assert '<span class="svflows-remove">-    say: {ja-JP: &#34;お電話ありがとうございました。&#34;' in html
    assert '<span class="svflows-add">+    say: {ja-JP: &#34;&lt;b&gt;またのお電話を&lt;/b&gt;&#34;' in html
    assert "put it back in FLOWS_DIR as the same file" in html
    download = supervisor.get(f"/supervisor/flows/support/revisions/{first}.yaml")
    assert download.status_code == 200 and "attachment" in download.headers[
        "Content-Disposition"]
    assert "お電話ありがとうございました。".encode() in download.data
    with db.session() as session:
        assert session.scalar(select(func.count(FlowRevision.id)).where(
            FlowRevision.name == "support")) == 2
        assert session.scalar(select(func.count(Call.id))) == 1
    missing = page(supervisor, f"/supervisor/flows/support/revisions?old=0000&new={second}")
    assert "Revision 0000 is not archived." in missing


def test_preview_walks_the_menu_with_the_pure_engine(supervisor, db):
    base = "/supervisor/flows/support/preview?caller=%2B819011112222&date=2026-11-24&time=12:00"
    html = page(supervisor, base)
    assert "お電話ありがとうございます。ABCストア、お客様サポートです。" in html
    assert "Step menu is waiting for the caller." in html
    assert 'name="m" value="9"' in html
    html = page(supervisor, base + "&m=9&m=3")
    assert "For orders, press 1." in html and "Our stores are open now." in html
    night = page(supervisor, base.replace("12:00", "23:30"))
    assert "本日の受付は終了いたしました。" in night
    known = page(supervisor, base + "&name=%E5%B1%B1%E7%94%B0&language=en-US")
    assert "山田様、いつもご利用いただきありがとうございます。" in known  # no en-US text given
    ended = page(supervisor, base + "&m=0&m=no-answer&m=recorded&m=1")
    assert "welcome → greet → route → menu" in ended
    assert ended.index("メッセージをお預かりしました。") < ended.index("お電話ありがとうございました。")
    assert "The call has ended." in ended
    bad = page(supervisor, base + "&m=<script>")
    assert "is not a key press" in bad and "<script>" not in bad
    with db.session() as session:
        assert session.scalar(select(func.count(Call.id))) == 0
