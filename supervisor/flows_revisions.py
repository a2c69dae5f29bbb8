"""Flow revision history for supervisors: what went live when, calls served, diffs, old content."""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ivr.models import Call, FlowRevision

MAX_DIFF_LINES = 5000


@dataclass(frozen=True)
class Revision:
    revision: str
    path: str
    loaded_at: dt.datetime
    loaded_by: str
    calls: int
    live: bool


@dataclass(frozen=True)
class DiffLine:
    kind: str        # add, remove, hunk, same, file
    text: str


def history(session: Session, name: str, live_revision: str | None) -> list[Revision]:
    """Every archived revision of a flow, newest first, with how many calls each one served."""
    counts = dict(session.execute(
        select(Call.flow_revision, func.count(Call.id)).where(Call.flow_name == name)
        .group_by(Call.flow_revision)).all())
    rows = session.execute(
        select(FlowRevision.revision, FlowRevision.path, FlowRevision.loaded_at,
               FlowRevision.loaded_by).where(FlowRevision.name == name)
        .order_by(FlowRevision.loaded_at.desc(), FlowRevision.id.desc())).all()
    return [Revision(r.revision, r.path, r.loaded_at, r.loaded_by, counts.get(r.revision, 0),
                     r.revision == live_revision) for r in rows]


def content(session: Session, name: str, revision: str) -> tuple[str, bytes] | None:
    """The file path and bytes of one archived revision."""
    row = session.execute(select(FlowRevision.path, FlowRevision.content).where(
        FlowRevision.name == name, FlowRevision.revision == revision)).first()
    return (row.path, bytes(row.content)) if row else None


def diff(old: bytes, new: bytes, old_label: str, new_label: str) -> list[DiffLine]:
    """A unified diff as classified lines; the template escapes every one of them."""
    lines = difflib.unified_diff(_text(old).splitlines(), _text(new).splitlines(),
                                 old_label, new_label, lineterm="")
    out = []
    for line in lines:
        kind = ("file" if line.startswith(("---", "+++")) else "hunk" if line.startswith("@@")
                else "add" if line.startswith("+") else "remove" if line.startswith("-")
                else "same")
        out.append(DiffLine(kind, line))
        if len(out) >= MAX_DIFF_LINES:
            out.append(DiffLine("hunk", f"… diff cut at {MAX_DIFF_LINES} lines"))
            break
    return out


def _text(content: bytes) -> str:
    return content.decode("utf-8-sig", errors="replace")
