"""A desk call's recording is transcribed like an inbound call's: the fake cloud serves the
recorded audio (two channels: the customer, and what they heard) at Twilio's path, a real RQ
worker downloads it and decodes it with the real Vosk model, and the transcript lands on the
ticket the call was made from."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import select

from core import worker as worker_loop
from core.runtime import Runtime
from crm_link.models import Interaction
from ivr.voice.models import AgentCall
from tests.acd.conftest import wait_for
from tests.voice.conftest import APP, CUSTOMER
from transcription.recognizer import ModelCache
from voicemail.models import Recording, Transcript


@pytest.fixture(scope="module")
def call_wav(tmp_path_factory, request) -> bytes:
    """Real speech on the customer's channel, silence on the other: 8 kHz stereo 16-bit."""
    source = request.config.rootpath / "tests" / "data" / "audio" / "jfk.wav"
    out = tmp_path_factory.mktemp("audio") / "call.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(source), "-af",
                    "pan=stereo|c0=c0|c1=0*c0", "-ar", "8000", "-c:a", "pcm_s16le", str(out)],
                   check=True)
    return out.read_bytes()


def test_an_outbound_call_is_transcribed_onto_its_ticket(phone, cloud, db, alice, ticket,
                                                         runtime, redis, loaded_models,
                                                         ko_model, call_wav):
    cloud.recording_audio = call_wav
    host = cloud.base_url.removeprefix("http://")
    runtime.settings = runtime.settings.with_(recording_hosts=(host,))
    cloud.device(CUSTOMER, "answer", after=1, talk=12)
    cloud.client_call("alice", APP, {"To": CUSTOMER, "ticket": str(ticket)})

    def recorded():
        with db.session() as session:
            return session.scalar(select(Recording).where(Recording.ticket_id == ticket))

    pending = wait_for(recorded)
    assert pending.status == "pending" and pending.channels == 2
    worker = Runtime(runtime.settings.with_(vosk_model_path=ko_model))
    worker.services[ModelCache] = loaded_models
    try:
        worker_loop.run(worker, redis, burst=True)
    finally:
        worker.close()
    with db.session() as session:
        done = session.get(Recording, pending.id)
        transcript = session.scalar(select(Transcript).where(Transcript.recording_id == done.id))
        entry = session.get(Interaction, done.interaction_id)
        call = session.scalars(select(AgentCall)).one()
        assert done.status == "transcribed", done.failure_reason
        assert transcript.words and entry.text == transcript.text and entry.text.strip()
        assert entry.ticket_id == ticket == call.ticket_id and entry.direction == "outbound"
