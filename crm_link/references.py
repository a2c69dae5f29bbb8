"""Rows of other features that point at a customer, so a merge (and its undo) moves them too.

A feature whose table has a `customer_id` (calls, recordings) registers that column here when
its models are defined; crm_link never imports those features.
"""

from __future__ import annotations

from sqlalchemy import Column, select, update
from sqlalchemy.orm import Session

_COLUMNS: dict[str, Column] = {}


def register_customer_reference(name: str, column: Column) -> None:
    """`column` (a customer id of table `name`) follows its customer through merges."""
    known = _COLUMNS.get(name)
    if known is not None and known is not column:
        raise ValueError(f"A customer reference named {name!r} is registered already.")
    _COLUMNS[name] = column


def move_references(session: Session, from_id: int, to_id: int) -> dict[str, list[int]]:
    """Point every registered row of customer `from_id` at `to_id`; the ids moved, per table."""
    moved = {}
    for name, column in sorted(_COLUMNS.items()):
        key = column.table.c.id
        ids = list(session.scalars(select(key).where(column == from_id).order_by(key)))
        if ids:
            session.execute(update(column.table).where(key.in_(ids)).values({column: to_id}))
        moved[name] = ids
    return moved


def restore_references(session: Session, moved: dict[str, list[int]], from_id: int,
                       to_id: int) -> dict[str, list[int]]:
    """Undo: rows a merge moved (`moved[name]`) that still point at `from_id` go back."""
    restored = {}
    for name, column in sorted(_COLUMNS.items()):
        ids = moved.get(name) or []
        if not ids:
            continue
        key = column.table.c.id
        back = list(session.scalars(select(key).where(key.in_(ids), column == from_id)
                                    .order_by(key)))
        if back:
            session.execute(update(column.table).where(key.in_(back)).values({column: to_id}))
        restored[name] = back
    return restored
