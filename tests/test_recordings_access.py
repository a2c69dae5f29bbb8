"""Recording audio is served only to those allowed, with Range for players; deletion is audited."""

import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from core.cli import cli
from crm_link.contacts import record_contact
from crm_link.directory import Contact
from crm_link.models import Interaction, Ticket
from tests.desk.desk_helpers import login, page_csrf_token
from voicemail.models import Recording, RecordingAudit, Transcript
from voicemail.storage import LocalStorage

AUDIO = bytes(range(256)) * 40   # 10,240 bytes standing in for a WAV file


@pytest.fixture
def stored(db, settings):
    """A transcribed voicemail in mailbox "support", its audio in RECORDINGS_DIR."""
    LocalStorage(settings.recordings_dir).put("2026/11/RE1.wav", io.BytesIO(AUDIO))
    with db.session() as session:
        filed = record_contact(session, Contact(channel="voicemail", phone="+819011112222",
                                                text="もしもし", external_id="recording:RE1"))
        recording = Recording(recording_sid="RE1", call_sid="CA1", kind="voicemail",
                              mailbox="support", take=1, source_url="https://api.twilio.com/x",
                              duration=5, status="transcribed", storage_key="2026/11/RE1.wav",
                              size_bytes=len(AUDIO), customer_id=filed.customer_id,
                              ticket_id=filed.ticket_id, interaction_id=filed.interaction_id)
        session.add(recording)
        session.flush()
        session.add(Transcript(recording_id=recording.id, text="もしもし", words=[], turns=[],
                               model="m", duration=5.0, processing_seconds=1.0))
        return recording.id, filed.ticket_id


def audits(db, action):
    with db.session() as session:
        return session.scalars(select(RecordingAudit).where(RecordingAudit.action == action)).all()


def test_anonymous_requests_get_401(client, stored):
    recording_id, _ = stored
    assert client.get(f"/recordings/{recording_id}").status_code == 401
    assert client.get(f"/recordings/{recording_id}/transcript").status_code == 401
    assert client.get(f"/recordings/{recording_id}",
                      headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_api_token_gets_the_audio_with_range_support(client, stored, api_headers, db):
    recording_id, _ = stored
    whole = client.get(f"/recordings/{recording_id}", headers=api_headers)
    assert whole.status_code == 200 and whole.data == AUDIO
    assert whole.headers["Accept-Ranges"] == "bytes" and whole.mimetype == "audio/wav"
    assert "no-store" in whole.headers["Cache-Control"]
    part = client.get(f"/recordings/{recording_id}",
                      headers={**api_headers, "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == AUDIO[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(AUDIO)}"
    assert len(audits(db, "played")) == 1        # the seek is part of the same listen


@pytest.mark.parametrize("queues, assigned, allowed", [
    (["support"], False, True),          # serves the mailbox
    (["sales"], False, False),           # another team's voicemail
    (["sales"], True, True),             # but the ticket is theirs
])
def test_agents_hear_their_teams_and_their_tickets(client, stored, make_user, db, queues,
                                                   assigned, allowed):
    recording_id, ticket_id = stored
    agent = make_user("bob", queues=queues)
    if assigned:
        with db.session() as session:
            session.get(Ticket, ticket_id).assignee_id = agent.id
    login(client, "bob")
    response = client.get(f"/recordings/{recording_id}")
    assert response.status_code == (200 if allowed else 403)
    transcript = client.get(f"/recordings/{recording_id}/transcript")
    assert transcript.status_code == (200 if allowed else 403)
    if allowed:
        assert transcript.get_json()["text"] == "もしもし"


def test_supervisors_hear_everything(client, stored, make_user):
    make_user("sue", role="supervisor")
    login(client, "sue")
    assert client.get(f"/recordings/{stored[0]}").status_code == 200


def test_only_supervisors_delete_and_only_with_csrf_and_a_reason(client, stored, make_user, db,
                                                                 settings):
    recording_id, _ = stored
    make_user("bob", queues=["support"])
    login(client, "bob")
    bob_token = page_csrf_token(client, "/desk")
    assert client.delete(f"/recordings/{recording_id}", headers={"X-CSRF-Token": bob_token},
                         json={"reason": "x"}).status_code == 403
    client.post("/logout", data={"csrf_token": page_csrf_token(client, "/desk")})
    make_user("sue", role="supervisor")
    login(client, "sue")
    assert client.delete(f"/recordings/{recording_id}", json={"reason": "x"}).status_code == 400
    token = page_csrf_token(client, "/desk")
    no_reason = client.delete(f"/recordings/{recording_id}", headers={"X-CSRF-Token": token},
                              json={})
    assert no_reason.status_code == 400 and "audit" in no_reason.get_json()["error"]
    done = client.delete(f"/recordings/{recording_id}", headers={"X-CSRF-Token": token},
                         json={"reason": "customer asked (GDPR art. 17)"})
    assert done.status_code == 204
    assert not (settings.recordings_dir / "2026/11/RE1.wav").exists()
    assert client.get(f"/recordings/{recording_id}").status_code == 404
    with db.session() as session:
        recording = session.get(Recording, recording_id)
        assert recording.status == "deleted" and recording.deleted_at is not None
        assert session.scalar(select(Transcript)) is None
        note = session.get(Interaction, recording.interaction_id).text
        assert note.startswith("(recording and transcript deleted on ") and "GDPR" in note
    [entry] = audits(db, "deleted")
    assert entry.actor == "sue" and entry.detail == {"reason": "customer asked (GDPR art. 17)"}


def test_api_token_can_delete(client, stored, api_headers, db):
    response = client.delete(f"/recordings/{stored[0]}", headers=api_headers,
                             json={"reason": "retention"})
    assert response.status_code == 204
    assert audits(db, "deleted")[0].actor == "api"
    assert client.delete("/recordings/999", headers=api_headers,
                         json={"reason": "x"}).status_code == 404


def test_retention_purge_from_the_cli(stored, db, settings, monkeypatch):
    with db.session() as session:
        recording = session.get(Recording, stored[0])
        recording.created_at = recording.created_at.replace(year=2020)
    env = {"IVR_ENV": "development", "IVR_DATA_DIR": str(settings.data_dir),
           "DATABASE_URL": settings.database_url,
           "RECORDINGS_DIR": str(settings.recordings_dir)}
    result = CliRunner().invoke(cli, ["recordings", "purge", "--older-than", "365"], env=env)
    assert result.exit_code == 0, result.output
    assert "1 recordings older than 365 days deleted" in result.output
    assert audits(db, "deleted")[0].detail == {"reason": "retention period (365 days)"}
    again = CliRunner().invoke(cli, ["recordings", "purge", "--older-than", "365"], env=env)
    assert "0 recordings" in again.output


def test_the_shipped_relative_recordings_dir_serves_audio(client, db, settings, runtime,
                                                          api_headers, tmp_path, monkeypatch):
    """RECORDINGS_DIR as shipped ("recordings", relative to where the server runs), not the
    absolute folder the other tests use: the file must be found, not looked for in the package."""
    monkeypatch.chdir(tmp_path)
    runtime.settings = runtime.settings.with_(recordings_dir=Path("recordings"))
    LocalStorage("recordings").put("2026/12/RE9.wav", io.BytesIO(AUDIO))
    with db.session() as session:
        recording = Recording(recording_sid="RE9", call_sid="CA9", kind="voicemail",
                              mailbox="support", take=1, source_url="https://api.twilio.com/x",
                              duration=5, status="transcribed", storage_key="2026/12/RE9.wav",
                              size_bytes=len(AUDIO))
        session.add(recording)
        session.flush()
        recording_id = recording.id
    response = client.get(f"/recordings/{recording_id}", headers=api_headers)
    assert response.status_code == 200 and response.data == AUDIO
