"""A small soak in CI (the full size is `python -m bench.load --calls 1000`): the Procfile's processes
take concurrent calls of every kind, then every voicemail is checked in the database."""

import pytest
from sqlalchemy import create_engine, text

from bench import load
from bench.processes import fresh_database
from ivr.tools.demo import SampleRecordings

pytestmark = pytest.mark.slow


def test_concurrent_calls_lose_nothing(database_url, redis_url, redis, tmp_path):
    if database_url.startswith("sqlite"):
        pytest.skip("the soak runs the Procfile on PostgreSQL; SQLite is for one machine")
    admin = database_url.rsplit("/", 1)[0] + "/test"
    url = fresh_database(admin, "ivr_soak_ci")
    media = SampleRecordings(load.SID, load.TOKEN, load.short_voicemail())
    deployment = load.Deployment(url, redis_url, media.host, tmp_path)
    try:
        stats, placed, _ = load.place_calls(deployment.base, 32, 6, media.url(load.SID))
        load.wait_drained(url, timeout=300)
    finally:
        deployment.stop()
    soak = load.verify_soak(url, placed)
    assert not [s for s in stats.statuses if s >= 500], stats.statuses
    assert soak["voicemails"] > 0 and soak["problems"] == []
    assert set(soak["recordings"]) <= {"transcribed", "failed"}
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "ivr_soak_ci" WITH (FORCE)'))
    engine.dispose()
