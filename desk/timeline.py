"""Timeline entries as the desk shows them: recordings with their status and transcript. No Flask."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_link.directory import TimelineEntry
from crm_link.models import Interaction
from crm_link.tickets import entry_of
from voicemail.models import Recording, Transcript


@dataclass(frozen=True)
class Audio:
    """A recording on an entry: played from /recordings/<id>, transcript shown beside it."""

    id: int
    status: str
    duration: int
    transcript: str | None
    gaps: tuple[tuple[str, str], ...] = ()     # (m:ss, m:ss) where the recording was paused


@dataclass(frozen=True)
class Entry:
    """One interaction with the recordings attached to it."""

    entry: TimelineEntry
    audio: tuple[Audio, ...] = ()

    def __getattr__(self, name):  # entry fields read straight through in templates
        return getattr(self.entry, name)


def with_audio(session: Session, entries: Iterable[TimelineEntry]) -> list[Entry]:
    """Attach recordings (one query each for rows and transcripts, whatever the entry count)."""
    entries = list(entries)
    ids = {r["recording_id"] for e in entries for r in e.recordings if r.get("recording_id")}
    rows = {r.id: r for r in session.scalars(select(Recording).where(Recording.id.in_(ids)))} \
        if ids else {}
    texts = dict(session.execute(select(Transcript.recording_id, Transcript.text)
                                 .where(Transcript.recording_id.in_(ids))).all()) if ids else {}
    result = []
    for entry in entries:
        gaps = tuple((_mmss(start), _mmss(end)) for start, end in
                     entry.metadata.get("recording_gaps") or ())
        audio = tuple(Audio(rid, rows[rid].status, rows[rid].duration, texts.get(rid), gaps)
                      for rid in (r.get("recording_id") for r in entry.recordings)
                      if rid in rows and rows[rid].status != "deleted")
        result.append(Entry(entry, audio))
    return result


def _mmss(seconds: int | None) -> str:
    if seconds is None:
        return "…"
    return f"{seconds // 60}:{seconds % 60:02d}"


def ticket_entries(session: Session, ticket_id: int) -> list[TimelineEntry]:
    """Every interaction of one ticket, oldest first (a conversation reads top to bottom)."""
    rows = session.scalars(select(Interaction).where(Interaction.ticket_id == ticket_id)
                           .order_by(Interaction.at, Interaction.id))
    return [entry_of(r) for r in rows]
