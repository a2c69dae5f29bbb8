"""A voicemail from call to transcript on the caller's timeline: real RQ, Vosk, Redis, database.

Twilio is played twice: the simulator posts the signed webhooks, and a local HTTP server
serves the recording at its RecordingUrl, checking Basic auth as Twilio's API does.
"""

from __future__ import annotations

import subprocess

import pytest
from rq import Queue
from rq.registry import FailedJobRegistry, ScheduledJobRegistry
from sqlalchemy import func, select

from core import worker as worker_loop
from core.runtime import Runtime
from crm_link.models import Interaction
from ivr.twilio.simulator import Script
from tests.conftest import TWILIO_SID, TWILIO_TOKEN
from tests.support.fake_twilio_media import FakeTwilioMedia
from tests.support.listener import Listener
from transcription import jobs, sweeper
from transcription.recognizer import ModelCache
from voicemail.models import Recording, Transcript

EVENING = "2026-11-24T20:00+09:00"   # the Japanese line is closed: straight to voicemail
JA_LINE = "+81312345678"
CALLER = "+819011112222"


@pytest.fixture(scope="module")
def voicemail_wav(tmp_path_factory, request) -> bytes:
    """JFK's inaugural sentence as Twilio delivers voicemail: 8 kHz mono 16-bit WAV."""
    source = request.config.rootpath / "tests" / "data" / "audio" / "jfk.wav"
    out = tmp_path_factory.mktemp("audio") / "voicemail.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(source), "-ar", "8000",
                    "-ac", "1", "-c:a", "pcm_s16le", str(out)], check=True)
    return out.read_bytes()


@pytest.fixture
def media(voicemail_wav, runtime, app):
    server = FakeTwilioMedia(TWILIO_SID, TWILIO_TOKEN, voicemail_wav)
    runtime.settings = runtime.settings.with_(recording_hosts=(server.host,))
    yield server
    server.close()


@pytest.fixture
def work(runtime, redis, loaded_models, ko_model):
    """Drain the transcription queue with a real (forking) RQ worker, model already loaded."""

    def drain(**changes):
        settings = runtime.settings.with_(**{"vosk_model_path": ko_model, **changes})
        worker = Runtime(settings)
        worker.services[ModelCache] = loaded_models
        try:
            worker_loop.run(worker, redis, burst=True)
        finally:
            worker.close()

    drain.ko_model = ko_model
    return drain


def leave_voicemail(twilio, at, media, **script):
    at(EVENING)
    return twilio.call(CALLER, JA_LINE, Script(inputs=[""], message_seconds=11,
                                               recording_url=media.url(), **script))


def recordings(db) -> list[Recording]:
    with db.session() as session:
        return session.scalars(select(Recording).order_by(Recording.id)).all()


def test_voicemail_is_transcribed_onto_the_callers_timeline(twilio, at, media, db, work, client,
                                                            api_headers):
    result = leave_voicemail(twilio, at, media)
    [pending] = recordings(db)
    assert (pending.status, pending.kind, pending.mailbox, pending.take) == (
        "pending", "voicemail", "support", 1)
    timeline = client.get(f"/api/customers/{pending.customer_id}/timeline",
                          headers=api_headers).get_json()
    [entry] = timeline["interactions"]
    assert entry["channel"] == "voicemail"  # visible at once, before any transcript
    assert entry["recordings"] or entry.get("attachments")

    work()

    [done] = recordings(db)
    assert done.status == "transcribed" and done.attempts == 1
    assert media.requests == [media.url().split(str(media.port))[1] + ".wav"]
    with db.session() as session:
        transcript = session.scalar(select(Transcript))
        interaction = session.get(Interaction, done.interaction_id)
        assert transcript.words and transcript.model == "model"
        assert all(0 <= w["start"] <= w["end"] <= 11.5 for w in transcript.words)
        assert {w["speaker"] for w in transcript.words} == {"caller"}
        assert interaction.text == transcript.text and interaction.text.strip()
        assert interaction.meta["transcription"] == "transcribed"
    assert result.call_sid == done.call_sid


def test_duplicate_recording_callbacks_are_stored_once(twilio, at, media, db, work):
    result = leave_voicemail(twilio, at, media)
    callback = result.recordings[0]
    url = "/twilio/recording?kind=voicemail&mailbox=support&take=1"
    twilio.post(url, {k: v for k, v in callback.items() if k != "AccountSid"})
    twilio.post(url, {k: v for k, v in callback.items() if k != "AccountSid"})
    assert len(recordings(db)) == 1
    work()
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Transcript)) == 1


def test_running_the_same_job_twice_attaches_one_transcript(twilio, at, media, db, work, redis):
    leave_voicemail(twilio, at, media)
    work()
    [done] = recordings(db)
    with db.session() as session:
        before = session.get(Interaction, done.interaction_id).text
    jobs.enqueue(Queue(jobs.QUEUE, connection=redis), done.id, done.duration)
    work()
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Transcript)) == 1
        assert session.get(Interaction, done.interaction_id).text == before


def test_redis_down_at_callback_time_then_the_sweeper_catches_up(
        twilio, at, media, db, work, runtime, redis):
    real = runtime.settings.redis_url
    runtime.settings = runtime.settings.with_(redis_url="redis://127.0.0.1:1/0")
    runtime._redis = None
    leave_voicemail(twilio, at, media)
    [pending] = recordings(db)
    assert pending.status == "pending"
    assert Queue(jobs.QUEUE, connection=redis).count == 0     # nothing was queued
    assert sweeper.health(db.__class__(db.url), redis).pending_without_job == 1
    runtime.settings = runtime.settings.with_(redis_url=real)
    work()                                                      # start-up sweep queues it
    assert [r.status for r in recordings(db)] == ["transcribed"]


def test_missing_model_fails_visibly_without_retrying(twilio, at, media, db, work, redis):
    leave_voicemail(twilio, at, media)
    work(vosk_model_path=None)
    [failed] = recordings(db)
    assert failed.status == "failed"
    assert "No speech model is configured" in failed.failure_reason
    with db.session() as session:
        interaction = session.get(Interaction, failed.interaction_id)
        assert interaction.text.startswith("(transcription failed: No speech model")
        assert interaction.meta["transcription"] == "failed"
    queue = Queue(jobs.QUEUE, connection=redis)
    assert jobs.job_id(failed.id) in FailedJobRegistry(queue=queue).get_job_ids()
    assert ScheduledJobRegistry(queue=queue).count == 0        # permanent: no retry scheduled


def test_retry_failed_after_the_model_is_installed(twilio, at, media, db, work, redis):
    leave_voicemail(twilio, at, media)
    work(vosk_model_path=None)
    assert sweeper.retry_failed(db, redis) == 1
    work()
    assert [r.status for r in recordings(db)] == ["transcribed"]


@pytest.mark.parametrize("body, status, reason", [
    (b"<html>Not Found</html>", 404, "404"),
    (b"\x00\x01garbage" * 500, 200, "could not be decoded"),
    (b"", 200, ""),
])
def test_bad_audio_fails_visibly(twilio, at, media, db, work, body, status, reason):
    media.body, media.status = body, status
    leave_voicemail(twilio, at, media)
    work()
    [failed] = recordings(db)
    assert failed.status == "failed" and failed.failure_reason
    assert reason.lower() in failed.failure_reason.lower()


def test_server_error_is_retried_later_not_failed(twilio, at, media, db, work, redis):
    media.status = 503
    leave_voicemail(twilio, at, media)
    work()
    [pending] = recordings(db)
    assert pending.status == "pending" and pending.attempts == 1
    assert ScheduledJobRegistry(queue=Queue(jobs.QUEUE, connection=redis)).count == 1


def test_rerecorded_take_is_discarded_and_only_the_kept_one_transcribed(
        twilio, at, media, db, work):
    at(EVENING)
    twilio.call(CALLER, JA_LINE, Script(inputs=["2", ""], message_seconds=11,
                                        recording_url=media.url()))
    first, second = recordings(db)
    assert (first.take, first.status) == (1, "discarded")
    assert (second.take, second.status) == (2, "pending")
    work()
    assert [r.status for r in recordings(db)] == ["discarded", "transcribed"]
    with db.session() as session:
        assert session.get(Interaction, first.interaction_id).meta["transcription"] == "discarded"


def test_the_calls_language_picks_the_speech_model(twilio, at, media, db, work):
    """VOSK_MODELS maps languages to models: the Japanese line's voicemail uses the ja-JP one;
    the English line has none configured, so its voicemail fails with that reason."""
    leave_voicemail(twilio, at, media)                                   # ja-JP line
    at("2026-11-29T10:00-05:00")                                         # Sunday in New York
    twilio.call("+12025550123", "+12025550143", Script(inputs=[""], message_seconds=11,
                                                       recording_url=media.url()))
    work(vosk_model_path=None, vosk_models={"ja-JP": work.ko_model})
    ja, en = recordings(db)
    assert (ja.language, ja.status) == ("ja-JP", "transcribed")
    assert (en.language, en.status) == ("en-US", "failed")
    assert "language 'en-US'" in en.failure_reason


def test_desks_hear_of_new_voicemail_and_of_its_transcript(twilio, at, media, db, work,
                                                           runtime):
    listener = Listener(runtime.redis)
    try:
        leave_voicemail(twilio, at, media)
        work()
        kinds = listener.kinds(wait=1.0)
    finally:
        listener.stop = True
        listener.thread.join(timeout=5)
    [recording] = recordings(db)
    new = next(e for e in listener.events if e["kind"] == "voicemail.new")
    done = next(e for e in listener.events if e["kind"] == "recording.transcribed")
    assert new["recording_id"] == done["recording_id"] == recording.id
    assert new["ticket_id"] == done["ticket_id"] == recording.ticket_id
    assert kinds.index("voicemail.new") < kinds.index("recording.transcribed")
