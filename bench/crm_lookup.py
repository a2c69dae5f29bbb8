"""Customer lookup by phone at scale: seed N customers in bulk, time lookup(phone=...) p50/p99.

    .venv/bin/python -m bench.crm_lookup --db postgresql --sizes 10000,1000000
    .venv/bin/python -m bench.crm_lookup --db sqlite --sizes 10000,1000000

Works in its own database (PostgreSQL `ivr_bench`, recreated; SQLite /tmp/crm_bench.sqlite3),
never in the test database. Customers get mobile numbers 090-1000-0000 + i; the timed lookups
pick random seeded customers and write their number in six different formats, so the figure
includes normalization (phonenumbers) as the IVR pays it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
import unicodedata
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.db import Base, Database
from crm_link.customers import lookup
from crm_link.models import Customer, Identity
from crm_link.phones import parse_phone

TABLES = [Customer.__table__, Identity.__table__]
BATCH = 50_000
NOW = dt.datetime.now(dt.UTC)


def number(i: int) -> str:
    return f"+8190{10_000_000 + i}"


def formats(i: int) -> list[str]:
    """Six ways a caller ID or an agent writes the same number."""
    national = f"090-{(10_000_000 + i) // 10_000}-{(10_000_000 + i) % 10_000:04d}"
    full_width = unicodedata.normalize("NFKC", national).translate(
        {ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    return [number(i), national, f"+81 90 {national[4:].replace('-', ' ')}",
            "0081" + number(i)[3:], full_width, f"(090){national[4:]}"]


def open_database(kind: str, args) -> Database:
    """A fresh benchmark database with only the customer tables."""
    if kind == "postgresql":
        url = make_url(args.pg_url)
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()
        db = Database(url.render_as_string(hide_password=False))
    else:
        path = Path(args.sqlite_path)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        db = Database(f"sqlite:///{path}")
    Base.metadata.create_all(db.engine, tables=TABLES)
    return db


def seed(db: Database, start: int, stop: int) -> float:
    """Customers start..stop-1 with one phone identity each; COPY or executemany. Seconds."""
    began = time.perf_counter()
    rule = "national format with region JP"
    with db.engine.begin() as conn:
        raw = conn.connection.driver_connection
        if db.dialect == "postgresql":
            cursor = raw.cursor()
            cursor.execute("SET LOCAL statement_timeout = 0")  # the app's 15 s cap is for requests
            with cursor.copy("COPY customers (id, name, anonymous, created_at, updated_at) "
                             "FROM STDIN") as copy:
                for i in range(start, stop):
                    copy.write_row((i + 1, f"Customer {i}", False, NOW, NOW))
            with cursor.copy("COPY customer_identities (id, customer_id, kind, value, raw, rule,"
                             " source, created_at) FROM STDIN") as copy:
                for i in range(start, stop):
                    copy.write_row((i + 1, i + 1, "phone", number(i), number(i), rule, "bench",
                                    NOW))
            cursor.execute("SELECT setval('customers_id_seq', %s)", (stop,))
            cursor.execute("SELECT setval('customer_identities_id_seq', %s)", (stop,))
            cursor.execute("ANALYZE customers; ANALYZE customer_identities")
        else:
            stamp = NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
            cursor = raw.cursor()
            for low in range(start, stop, BATCH):
                high = min(stop, low + BATCH)
                cursor.executemany(
                    "INSERT INTO customers (id, name, anonymous, created_at, updated_at) "
                    "VALUES (?, ?, 0, ?, ?)",
                    [(i + 1, f"Customer {i}", stamp, stamp) for i in range(low, high)])
                cursor.executemany(
                    "INSERT INTO customer_identities (id, customer_id, kind, value, raw, rule, "
                    "source, created_at) VALUES (?, ?, 'phone', ?, ?, ?, 'bench', ?)",
                    [(i + 1, i + 1, number(i), number(i), rule, stamp) for i in range(low, high)])
            cursor.execute("ANALYZE")
    return time.perf_counter() - began


def measure(db: Database, size: int, count: int, rng: random.Random) -> dict:
    """Latency of lookup(phone=...) over `count` random customers, formats rotating."""
    picks = [rng.randrange(size) for _ in range(count)]
    inputs = [formats(i)[n % 6] for n, i in enumerate(picks)]
    parse_times, times = [], []
    with db.session() as session:
        for raw in inputs[:50]:  # warm-up
            lookup(session, phone=raw)
        for i, raw in zip(picks, inputs, strict=True):
            began = time.perf_counter()
            parse_phone(raw, "JP")
            middle = time.perf_counter()
            match = lookup(session, phone=raw)
            ended = time.perf_counter()
            if match is None or match.customer.id != i + 1:
                raise SystemExit(f"lookup of {raw!r} found {match!r}, expected customer {i + 1}")
            parse_times.append(middle - began)
            times.append(ended - middle)
    return {"size": size, "lookups": count, "p50": _pct(times, 50), "p90": _pct(times, 90),
            "p99": _pct(times, 99), "mean": statistics.fmean(times) * 1000,
            "parse_p50": _pct(parse_times, 50)}


def plan(db: Database) -> str:
    """How the database runs the identity lookup (it must use the (kind, value) index)."""
    query = ("SELECT customer_id FROM customer_identities WHERE kind = 'phone' "
             f"AND value = '{number(1)}'")
    prefix = "EXPLAIN " if db.dialect == "postgresql" else "EXPLAIN QUERY PLAN "
    with db.engine.connect() as conn:
        rows = conn.execute(text(prefix + query)).all()
    return " | ".join(str(row[-1]) for row in rows)


def _pct(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))] * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("postgresql", "sqlite"), required=True)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--lookups", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/ivr_bench")
    parser.add_argument("--sqlite-path", default="/tmp/crm_bench.sqlite3")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    rng = random.Random(args.seed)
    db = open_database(args.db, args)
    results, seeded = [], 0
    for size in sizes:
        took = seed(db, seeded, size)
        seeded = size
        print(f"seeded {size:,} customers ({took:.1f} s)", flush=True)
        results.append(measure(db, size, args.lookups, rng))
    print(f"\nplan: {plan(db)}\n")
    print("| backend | customers | lookups | p50 ms | p90 ms | p99 ms | mean ms | parse p50 ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(f"| {args.db} | {r['size']:,} | {r['lookups']:,} | {r['p50']:.3f} | {r['p90']:.3f} "
              f"| {r['p99']:.3f} | {r['mean']:.3f} | {r['parse_p50']:.3f} |")
    if len(results) > 1:
        first, last = results[0], results[-1]
        print(f"\ngrowth {last['size']:,} vs {first['size']:,}: p50 x{last['p50'] / first['p50']:.2f}, "
              f"p99 x{last['p99'] / first['p99']:.2f}")
    print(f"\ncommand: {' '.join([Path(sys.executable).name, *sys.argv])}")
    db.dispose()


if __name__ == "__main__":
    main()
