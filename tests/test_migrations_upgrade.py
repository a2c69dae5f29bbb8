"""Migrations on a database in use. 0003: cross-feature foreign keys added, orphans cleared first,
recordings given their call's queue; and the keys then hold. 0004: presences become agent states."""

import datetime as dt

import pytest
from sqlalchemy import MetaData, create_engine, event, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

from core import migrate

NOW = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
KEYS = {("calls", "customer_id", "customers"), ("recordings", "customer_id", "customers"),
        ("recordings", "ticket_id", "tickets"), ("recordings", "interaction_id", "interactions"),
        ("tickets", "assignee_id", "users")}


@pytest.fixture
def fresh_url(tmp_path, database_url):
    """An empty database of the suite's backend."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'upgrade.sqlite3'}"
        return
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "ivr_upgrade_check" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "ivr_upgrade_check"'))
    yield database_url.rsplit("/", 1)[0] + "/ivr_upgrade_check"
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "ivr_upgrade_check" WITH (FORCE)'))
    admin.dispose()


def seed_0002(url: str) -> None:
    """Rows as release 0002 could hold them, with references to rows that are gone."""
    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables
    stamp = {"created_at": NOW, "updated_at": NOW}
    with engine.begin() as conn:
        conn.execute(insert(t["customers"]), [{"id": 1, "anonymous": False, **stamp}])
        conn.execute(insert(t["users"]), [{
            "id": 1, "username": "alice", "display_name": "Alice", "role": "agent",
            "language": "ja", "queues": ["support"], "presence": "offline",
            "presence_changed_at": NOW, "max_open_tickets": 10, "active": True,
            "failed_logins": 0, "password_hash": "x", "created_at": NOW}])
        conn.execute(insert(t["tickets"]), [
            {"id": 1, "customer_id": 1, "subject": "a", "status": "open", "priority": "normal",
             "channel": "voicemail", "assignee_id": 1, **stamp},
            {"id": 2, "customer_id": 1, "subject": "b", "status": "open", "priority": "normal",
             "channel": "email", "assignee_id": 99, **stamp}])              # agent gone
        conn.execute(insert(t["interactions"]), [{
            "id": 1, "ticket_id": 1, "customer_id": 1, "channel": "voicemail",
            "direction": "inbound", "at": NOW, "attachments": [], "metadata": {},
            "thread_reason": "t", "created_at": NOW}])
        call = {"from_number": "+819012345678", "to_number": "+81312345678", "flow_name": "f",
                "flow_revision": "r", "state": {}, "turn": 1, "last_twiml": "",
                "status": "completed", "started_at": NOW, "updated_at": NOW, "events": []}
        conn.execute(insert(t["calls"]), [
            {"call_sid": "CA1", "customer_id": 1, "queue": "support", **call},
            {"call_sid": "CA2", "customer_id": 77, "queue": None, **call}])  # customer gone
        recording = {"kind": "voicemail", "source_url": "u", "duration": 3, "channels": 1,
                     "status": "transcribed", "attempts": 1, **stamp}
        conn.execute(insert(t["recordings"]), [
            {"recording_sid": "RE1", "call_sid": "CA1", "customer_id": 1, "ticket_id": 1,
             "interaction_id": 1, **recording},
            {"recording_sid": "RE2", "call_sid": "CA2", "customer_id": 77, "ticket_id": 55,
             "interaction_id": 66, **recording}])                               # all gone
    engine.dispose()


def test_upgrade_adds_the_keys_to_a_database_in_use(fresh_url):
    migrate.upgrade(fresh_url, "0002")
    seed_0002(fresh_url)
    migrate.upgrade(fresh_url)
    engine = create_engine(fresh_url)
    try:
        found = {(table, fk["constrained_columns"][0], fk["referred_table"])
                 for table in ("calls", "recordings", "tickets")
                 for fk in inspect(engine).get_foreign_keys(table)}
        assert KEYS <= found
        with engine.connect() as conn:
            assert dict(conn.execute(text("SELECT id, assignee_id FROM tickets")).all()) == {
                1: 1, 2: None}
            assert dict(conn.execute(text("SELECT call_sid, customer_id FROM calls")).all()) == {
                "CA1": 1, "CA2": None}
            rows = {r.recording_sid: r for r in conn.execute(text(
                "SELECT recording_sid, queue, customer_id, ticket_id, interaction_id "
                "FROM recordings"))}
            assert tuple(rows["RE1"])[1:] == ("support", 1, 1, 1)
            assert tuple(rows["RE2"])[1:] == (None, None, None, None)
        _foreign_keys_on(engine)
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("UPDATE tickets SET assignee_id = 42 WHERE id = 1"))
    finally:
        engine.dispose()


def test_downgrade_returns_to_0002(fresh_url):
    migrate.upgrade(fresh_url)
    migrate.downgrade(fresh_url, "0002")
    engine = create_engine(fresh_url)
    try:
        assert "queue" not in {c["name"] for c in inspect(engine).get_columns("recordings")}
        assert not {fk["referred_table"] for fk in inspect(engine).get_foreign_keys("calls")}
        with engine.connect() as conn:
            assert conn.execute(select(text("version_num")).select_from(
                text("alembic_version"))).scalar() == "0002"
    finally:
        engine.dispose()


def _foreign_keys_on(engine) -> None:
    """SQLite checks foreign keys only when asked, per connection (the app always asks)."""
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect",
                     lambda dbapi, _record: dbapi.execute("PRAGMA foreign_keys=ON"))
        engine.dispose()


def test_presences_become_agent_states_with_a_history(fresh_url):
    migrate.upgrade(fresh_url, "0003")
    engine = create_engine(fresh_url)
    meta = MetaData()
    meta.reflect(engine)
    user = {"display_name": "x", "role": "agent", "language": "ja", "queues": [],
            "presence_changed_at": NOW, "max_open_tickets": 10, "active": True,
            "failed_logins": 0, "password_hash": "x", "created_at": NOW}
    with engine.begin() as conn:
        conn.execute(insert(meta.tables["users"]), [
            {"id": i, "username": name, "presence": presence, **user}
            for i, (name, presence) in enumerate([("ann", "available"), ("ben", "busy"),
                                                  ("cai", "away"), ("dee", "offline")], 1)])
    engine.dispose()
    migrate.upgrade(fresh_url)
    engine = create_engine(fresh_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT username, presence, presence_reason FROM users "
                                     "ORDER BY id")).all()
            assert [tuple(r) for r in rows] == [("ann", "available", None),
                                               ("ben", "break", "busy"),
                                               ("cai", "break", "away"),
                                               ("dee", "offline", None)]
            assert conn.execute(text("SELECT count(*) FROM agent_state_changes")).scalar() == 4
        _foreign_keys_on(engine)
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("UPDATE users SET presence = 'busy' WHERE id = 1"))
    finally:
        engine.dispose()
    migrate.downgrade(fresh_url, "0003")
    engine = create_engine(fresh_url)
    try:
        with engine.connect() as conn:
            assert [r[0] for r in conn.execute(text(
                "SELECT presence FROM users ORDER BY id"))] == ["available", "busy", "away",
                                                                  "offline"]
    finally:
        engine.dispose()
