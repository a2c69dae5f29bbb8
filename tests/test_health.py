"""Liveness and readiness probes report real dependency state as JSON."""

from core.runtime import Runtime
from core.web.app import create_app


def test_healthz_is_alive(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_checks_database_and_redis(client):
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["redis"] == {"ok": True}


def test_readyz_reports_redis_down(settings, db):
    # A port nothing listens on: the probe must say so rather than hang or pass.
    rt = Runtime(settings.with_(redis_url="redis://127.0.0.1:1/0"), db=db)
    response = create_app(runtime=rt).test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 503
    assert body["checks"]["redis"]["ok"] is False
    assert "ConnectionError" in body["checks"]["redis"]["error"]
    assert body["checks"]["database"]["ok"] is True


def test_readyz_reports_database_down(settings, redis):
    rt = Runtime(settings.with_(
        database_url="postgresql+psycopg://postgres@127.0.0.1:1/nope"))
    response = create_app(runtime=rt).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"]["ok"] is False


def test_every_response_carries_a_request_id(client):
    response = client.get("/healthz", headers={"X-Request-Id": "router-abc"})
    assert response.headers["X-Request-Id"] == "router-abc"
    assert len(client.get("/healthz").headers["X-Request-Id"]) == 32
