"""Database plumbing shared by every package: declarative base, UTC timestamps, engine and sessions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import JSON, DateTime, MetaData, create_engine, event, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SKIP_BEGIN = "ivr_skip_begin"  # execution option: a SQLite connection in autocommit mode

# JSON everywhere, JSONB on PostgreSQL (indexable, compact).
JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, also on SQLite which keeps no time zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"Naive datetime {value!r} given; store aware UTC datetimes only.")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Database:
    """An engine and its session factory; one per process, created from settings."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 5,
                 durable_autocommit: bool = True):
        self.url = url
        self.engine = make_engine(url, echo=echo, pool_size=pool_size)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.autocommit_engine = _autocommit_engine(url, self.engine, echo, pool_size,
                                                    durable_autocommit)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on any error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def autocommit(self) -> Iterator[Connection]:
        """A connection whose statements each commit on their own, saving BEGIN and COMMIT
        round trips: for reads, and for writes that are a single (hence atomic) statement."""
        with self.autocommit_engine.connect() as conn:
            yield conn

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
        self.autocommit_engine.dispose()


def _autocommit_engine(url: str, engine: Engine, echo: bool, pool_size: int,
                       durable: bool) -> Engine:
    """Connections that stay in autocommit (no BEGIN/COMMIT round trips, no mode switch per
    checkout). SQLite shares the engine and skips our BEGIN (see _sqlite_begin): SQLAlchemy's
    AUTOCOMMIT there would hand transactions back to pysqlite when a connection is returned.
    Not `durable`: PostgreSQL reports a commit before its WAL reaches the disk
    (synchronous_commit=off): a server crash can lose the last ~0.6 s of such writes, never
    corrupt anything."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{SKIP_BEGIN: True})
    options = "" if durable else "-c synchronous_commit=off"
    autocommit = make_engine(url, echo=echo, pool_size=pool_size, isolation_level="AUTOCOMMIT",
                             options=options)
    _renew_together(engine, autocommit)
    return autocommit


def _renew_together(*engines: Engine) -> None:
    """A database restart noticed by one pool renews the others' connections as well, so it
    costs a process one failed request, not one per pool."""
    def renew(context) -> None:
        if context.is_disconnect:
            for engine in engines:
                if engine is not context.engine:
                    engine.dispose(close=False)

    for engine in engines:
        event.listen(engine, "handle_error", renew)


def make_engine(url: str, *, echo: bool = False, pool_size: int = 5, options: str = "",
                **engine_options) -> Engine:
    """Engine tuned per backend: WAL and foreign keys on SQLite, timeouts on PostgreSQL."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    connect_args = {}
    if url.startswith("postgresql"):
        connect_args = {"connect_timeout": 5,
                        "options": f"-c statement_timeout=15000 {options}".strip()}
    # No pre-ping: it costs a round trip on every request. After a database restart the first
    # request of each process fails (callers hear safe TwiML) and SQLAlchemy then replaces the
    # whole pool, so connections recover by themselves.
    return create_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size,
                         pool_timeout=5, pool_recycle=1800, connect_args=connect_args,
                         **engine_options)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT (a released savepoint commits the
    # whole transaction); SQLAlchemy's documented fix: take over BEGIN ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection) -> None:
    """IMMEDIATE: take the write lock up front, so concurrent writers wait instead of failing."""
    if not connection.get_execution_options().get(SKIP_BEGIN):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
