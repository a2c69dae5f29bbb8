"""GET /api/agents, GET /api/agents/<username>, PUT /api/agents/<username>/status."""

import pytest

from core import accounts


@pytest.fixture
def team(db, make_user):
    make_user("alice", display_name="Alice 青木", queues=["support", "returns"])
    make_user("bob", queues=["support"])
    gone = make_user("carl")
    with db.session() as session:
        accounts.disable(session.get(accounts.User, gone.id))


def test_the_list_shows_every_active_agent_with_state_and_queues(client, api_headers, team):
    response = client.get("/api/agents", headers=api_headers)
    assert response.status_code == 200
    agents = response.get_json()["agents"]
    assert [a["username"] for a in agents] == ["alice", "bob"]
    alice = agents[0]
    assert {k: alice[k] for k in ("name", "status", "reason", "queues")} == {
        "name": "Alice 青木", "status": "offline", "reason": None,
        "queues": ["support", "returns"]}
    assert alice["since"].endswith("+00:00")


@pytest.mark.parametrize("body, status, reason", [
    ({"status": "available"}, "available", None),
    ({"status": "break", "reason": "休憩"}, "break", "休憩"),
    ({"status": "offline"}, "offline", None),
])
def test_put_status_changes_it(client, api_headers, team, body, status, reason):
    client.put("/api/agents/alice/status", json={"status": "available"}, headers=api_headers)
    response = client.put("/api/agents/alice/status", json=body, headers=api_headers)
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["status"], response.get_json()["reason"]) == (status, reason)
    shown = client.get("/api/agents/alice", headers=api_headers).get_json()
    assert (shown["status"], shown["reason"]) == (status, reason)


@pytest.mark.parametrize("body, code, message", [
    ({"status": "on_call"}, 400, "is not one of offline, available, break"),
    ({"status": "break"}, 400, "Say why the agent is on a break"),
    ({"status": 3}, 400, "Give status as text"),
    ([1, 2], 400, "must be a JSON object"),
])
def test_bad_bodies_are_400_and_change_nothing(client, api_headers, team, body, code,
                                               message):
    response = client.put("/api/agents/alice/status", json=body, headers=api_headers)
    assert response.status_code == code
    assert message in response.get_json()["error"]
    assert client.get("/api/agents/alice", headers=api_headers).get_json()["status"] == "offline"


def test_a_call_in_progress_is_a_409(client, api_headers, team, db):
    with db.session() as session:
        accounts.set_presence(accounts.get_user(session, "alice"), "on_call")
    response = client.put("/api/agents/alice/status", json={"status": "break", "reason": "x"},
                          headers=api_headers)
    assert response.status_code == 409
    assert "follows the call" in response.get_json()["error"]


@pytest.mark.parametrize("path", ["/api/agents/carl", "/api/agents/nobody",
                                  "/api/agents/nobody/status"])
def test_unknown_and_disabled_agents_are_404(client, api_headers, team, path):
    call = client.put if path.endswith("status") else client.get
    response = call(path, json={"status": "available"}, headers=api_headers)
    assert response.status_code == 404
    assert response.get_json()["field"] == "username"


@pytest.mark.parametrize("method, path", [("get", "/api/agents"), ("get", "/api/agents/alice"),
                                          ("put", "/api/agents/alice/status")])
def test_the_token_is_required(client, team, method, path):
    response = getattr(client, method)(path, json={"status": "available"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
