"""Realistic desk data (Japanese and English customers, email, chat, a transcribed voicemail),
shared by the desk tests, the screenshot script and the screen-pop benchmark."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from core.db import Database
from crm_link.contacts import record_contact
from crm_link.directory import Contact
from ivr.tools.demo import SAMPLE
from voicemail.models import Recording, Transcript
from voicemail.storage import LocalStorage

HANAKO_PHONE = "+819012345678"
HANAKO_EMAIL = "hanako.yamada@example.jp"
PAT_PHONE = "+12025550199"
JA_LINE = "+81312345678"
VOICEMAIL_TEXT = "お世話になっております。山田です。注文したスニーカーの件で、折り返しお電話ください。"


@dataclass
class Seeded:
    hanako_id: int
    hanako_ticket: int
    pat_id: int
    pat_ticket: int
    recording_id: int


def seed_desk(db: Database, recordings_dir: Path, now: dt.datetime) -> Seeded:
    """山田花子: an email two hours ago and a voicemail; Pat Lee: a chat five hours ago."""
    with db.session() as session:
        email = record_contact(session, Contact(
            channel="email", email=f"山田花子 <{HANAKO_EMAIL}>", phone="090-1234-5678",
            name="山田花子", subject="注文した商品が届きません",
            text="先週注文したスニーカーがまだ届きません。至急確認してください。",
            at=now - dt.timedelta(hours=2), external_id="<demo-1@example.jp>",
            metadata={"from": HANAKO_EMAIL, "message_id": "<demo-1@example.jp>"}))
        chat = record_contact(session, Contact(
            channel="chat", email="pat@example.com", phone=PAT_PHONE, name="Pat Lee",
            subject="Refund status", text="Hi, any news on my refund?",
            at=now - dt.timedelta(hours=5), external_id="demo-chat-1"))
        recording = _voicemail(session, recordings_dir, now - dt.timedelta(minutes=20))
        voicemail = record_contact(session, Contact(
            channel="voicemail", phone=HANAKO_PHONE, subject="Voicemail (support)", text="",
            at=now - dt.timedelta(minutes=20), external_id="recording:RE-demo-1",
            attachments=({"kind": "recording", "recording_id": recording.id,
                          "url": f"/recordings/{recording.id}", "duration": 11},)))
        recording.customer_id, recording.ticket_id = voicemail.customer_id, voicemail.ticket_id
        recording.interaction_id = voicemail.interaction_id
    return Seeded(email.customer_id, email.ticket_id, chat.customer_id, chat.ticket_id,
                  recording.id)


def _voicemail(session, recordings_dir: Path, at: dt.datetime) -> Recording:
    """The demo's sample voicemail audio, stored and transcribed."""
    key = "voicemail/RE-demo-1.wav"
    size = LocalStorage(recordings_dir).put(key, SAMPLE)
    recording = Recording(recording_sid="RE-demo-1", call_sid="CA-demo-voicemail",
                          kind="voicemail", mailbox="support", take=1, source_url="",
                          duration=11, status="transcribed", storage_key=key, size_bytes=size,
                          language="ja-JP", created_at=at, transcribed_at=at)
    session.add(recording)
    session.flush()
    session.add(Transcript(recording_id=recording.id, text=VOICEMAIL_TEXT, words=[], turns=[],
                           language="ja-JP", model="vosk-model-small-ja", duration=11.0,
                           processing_seconds=1.2))
    session.flush()
    return recording
