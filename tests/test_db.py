"""Database plumbing: aware UTC timestamps, real savepoints on SQLite too, schema = migrations."""

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, insert, select, text

from core import migrate
from core.db import Database, utcnow
from core.models import metadata
from core.runtime import Runtime
from ivr.models import FlowRevision


def autocommit_first(db, used: bool) -> None:
    """Use (and return to the pool) an autocommit connection, as webhooks do."""
    if used:
        with db.autocommit() as conn:
            conn.execute(text("SELECT 1"))


@pytest.mark.parametrize("after_autocommit", [False, True])
def test_savepoint_rollback_keeps_the_outer_transaction(db, after_autocommit):
    autocommit_first(db, after_autocommit)
    with pytest.raises(RuntimeError):
        with db.session() as session:
            session.add(FlowRevision(name="a", revision="1", path="a", content=b"", loaded_by="t"))
            with session.begin_nested():
                session.add(FlowRevision(name="b", revision="1", path="b", content=b"",
                                         loaded_by="t"))
            raise RuntimeError("the outer transaction fails after the savepoint was released")
    with db.session() as session:
        assert session.scalars(select(FlowRevision.name)).all() == []


@pytest.mark.parametrize("after_autocommit", [False, True])
def test_inner_savepoint_rolls_back_alone(db, after_autocommit):
    autocommit_first(db, after_autocommit)
    with db.session() as session:
        session.add(FlowRevision(name="a", revision="1", path="a", content=b"", loaded_by="t"))
        try:
            with session.begin_nested():
                session.add(FlowRevision(name="a", revision="1", path="dup", content=b"",
                                         loaded_by="t"))
        except Exception:  # noqa: BLE001 -- the unique constraint, whatever the driver calls it
            pass
    with db.session() as session:
        assert session.scalars(select(FlowRevision.path)).all() == ["a"]


def test_autocommit_statements_commit_on_their_own(db):
    with db.autocommit() as conn:
        conn.execute(insert(FlowRevision.__table__).values(
            name="a", revision="1", path="a", content=b"", loaded_by="t"))
        with db.session() as other:  # visible at once: no COMMIT was needed
            assert other.scalars(select(FlowRevision.name)).all() == ["a"]
        conn.rollback()  # nothing to undo: the INSERT already stands
    with db.session() as session:
        assert session.scalars(select(FlowRevision.name)).all() == ["a"]


def test_timestamps_come_back_aware_utc(db):
    tokyo = dt.datetime(2026, 11, 24, 12, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    with db.session() as session:
        session.add(FlowRevision(name="a", revision="1", path="a", content=b"", loaded_by="t",
                                 loaded_at=tokyo))
    with db.session() as session:
        loaded = session.scalar(select(FlowRevision.loaded_at))
    assert loaded == tokyo and loaded.tzinfo == dt.UTC and loaded.hour == 3


def test_naive_datetimes_are_refused(db):
    with pytest.raises(Exception, match="Naive datetime"):
        with db.session() as session:
            session.add(FlowRevision(name="a", revision="1", path="a", content=b"",
                                     loaded_by="t", loaded_at=dt.datetime(2026, 1, 1)))
            session.flush()
    assert utcnow().tzinfo == dt.UTC


def test_migrations_create_exactly_the_models(tmp_path, database_url):
    """`ivr db upgrade` builds the same schema as the models (no forgotten migration)."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    else:
        admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "ivr_migration_check" WITH (FORCE)'))
            conn.execute(text('CREATE DATABASE "ivr_migration_check"'))
        admin.dispose()
        url = database_url.rsplit("/", 1)[0] + "/ivr_migration_check"
    migrate.upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                metadata)
    engine.dispose()
    assert diff == []
    assert migrate.current(url) is not None
    Database(url).ping()


@pytest.mark.parametrize("commit, autocommit_sync", [("async", "off"), ("sync", "on")])
def test_only_call_state_writes_may_skip_waiting_for_the_disk(settings, commit,
                                                               autocommit_sync):
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("SQLite's durability is its WAL with synchronous=NORMAL, for every write")
    rt = Runtime(settings.with_(call_state_commit=commit))
    try:
        with rt.db.autocommit() as conn:  # webhooks' call rows (CALL_STATE_COMMIT)
            assert conn.execute(text("SHOW synchronous_commit")).scalar() == autocommit_sync
        with rt.db.session() as session:     # recordings, tickets, call-backs: always durable
            assert session.execute(text("SHOW synchronous_commit")).scalar() == "on"
    finally:
        rt.close()
