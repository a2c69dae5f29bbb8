"""The flow revision archive in the database: history for supervisors, resumption for calls."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from core.db import Database
from ivr.flows.model import Flow
from ivr.models import FlowRevision

log = logging.getLogger("ivr.flows")


class DbRevisionArchive:
    """Stores each live revision once; every process can read any of them back."""

    def __init__(self, database: Database):
        self.db = database

    def record(self, flow: Flow, content: bytes, loaded_by: str) -> bool:
        try:
            with self.db.session() as session:
                exists = session.scalar(select(FlowRevision.id).where(
                    FlowRevision.name == flow.name, FlowRevision.revision == flow.revision))
                if exists is None:
                    session.add(FlowRevision(name=flow.name, revision=flow.revision,
                                             path=flow.path, content=content,
                                             loaded_by=loaded_by))
            return True
        except IntegrityError:
            return True  # another process archived the same revision first
        except SQLAlchemyError as exc:
            log.warning("flow revision not archived yet", extra={
                "flow": flow.name, "revision": flow.revision, "error": str(exc)})
            return False

    def fetch(self, name: str, revision: str) -> tuple[str, bytes] | None:
        """Read without a transaction: callers may be inside a request's own transaction."""
        with self.db.autocommit() as conn:
            row = conn.execute(select(FlowRevision.path, FlowRevision.content).where(
                FlowRevision.name == name, FlowRevision.revision == revision)).first()
        return (row.path, bytes(row.content)) if row else None
