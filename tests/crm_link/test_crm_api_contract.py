"""Authentication of every route, and the OpenAPI document agreeing with the registered routes."""

import re

import pytest

from crm_link.web.api import bp

ROUTES = [("get", "/api/customers/1"), ("post", "/api/customers"),
          ("get", "/api/customers/lookup?phone=0312345678"), ("get", "/api/customers/1/timeline"),
          ("post", "/api/customers/1/merge"), ("post", "/api/merges/1/undo"),
          ("get", "/api/merges/1"), ("post", "/api/messages"), ("post", "/api/email/inbound"),
          ("get", "/api/tickets"), ("get", "/api/tickets.csv"), ("patch", "/api/tickets/1"),
          ("get", "/api/stats"), ("get", "/api/duplicates"),
          ("post", "/api/duplicates/1/dismiss"), ("get", "/api/attachments/abc.pdf")]
BAD_AUTH = [None, "", "Bearer", "Bearer ", "Bearer wrong-token", "Basic {token}",
            "Bearer {token}x", "Token {token}", "Bearer{token}"]


@pytest.mark.parametrize("method, url", ROUTES)
@pytest.mark.parametrize("authorization", BAD_AUTH)
def test_every_route_needs_the_bearer_token(client, api_headers, method, url, authorization):
    token = api_headers["Authorization"].split()[1]
    headers = {} if authorization is None else {"Authorization": authorization.format(
        token=token)}
    response = getattr(client, method)(url, headers=headers, json={})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["field"] == "Authorization"


def test_an_empty_configured_token_lets_nobody_in(app, runtime):
    runtime.settings = runtime.settings.with_(api_token="")
    response = app.test_client().get("/api/tickets", headers={"Authorization": "Bearer "})
    assert response.status_code == 401


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_scheme_is_case_insensitive(client, api_headers, scheme):
    token = api_headers["Authorization"].split()[1]
    response = client.get("/api/tickets", headers={"Authorization": f"{scheme} {token}"})
    assert response.status_code == 200


def test_openapi_is_public_and_31(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"] == "3.1.0"


def test_openapi_paths_match_the_routes(app, client):
    document = client.get("/api/openapi.json").get_json()
    documented = {(path, method.upper()) for path, item in document["paths"].items()
                  for method in item}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(f"{bp.name}."):
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
            routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == routed


def test_openapi_path_parameters_are_declared(client):
    document = client.get("/api/openapi.json").get_json()
    for path, item in document["paths"].items():
        wanted = set(re.findall(r"{([a-z_]+)}", path))
        for operation in item.values():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == wanted, path
