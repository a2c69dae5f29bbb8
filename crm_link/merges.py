"""Merging two customers (identities, tickets, timeline move) and undoing a recorded merge.

Undo semantics, also after new contacts arrived:
- identities the merge moved go back (those still on the survivor);
- tickets the merge moved go back with every interaction on them, including later ones;
- tickets opened after the merge by a contact matched through a moved identity go back too;
- calls and recordings of other features (crm_link.references) the merge moved go back;
- everything else stays with the survivor: its own tickets (even if a contact through a moved
  identity joined one; an interaction always stays with its ticket) and identities added later.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.db import utcnow
from crm_link.directory import MergeResult
from crm_link.errors import MergeError, NotFound
from crm_link.models import Customer, CustomerMerge, DuplicateFlag, Identity, Interaction, Ticket
from crm_link.references import move_references, restore_references


def merge_customers(session: Session, survivor_id: int, other_id: int, *,
                    actor: str | None = None) -> MergeResult:
    """Move everything of `other_id` onto `survivor_id`; the absorbed row stays, pointing at it."""
    if survivor_id == other_id:
        raise MergeError(f"Customer #{survivor_id} cannot be merged into itself.",
                         field="other_id")
    survivor = _active(session, survivor_id, "customer_id")
    other = _active(session, other_id, "other_id")
    moved = {
        "identities": _ids(session, Identity, Identity.customer_id == other.id),
        "tickets": _ids(session, Ticket, Ticket.customer_id == other.id),
        "interactions": _ids(session, Interaction, Interaction.customer_id == other.id),
        "flags": _ids(session, DuplicateFlag, _pair(survivor.id, other.id),
                      DuplicateFlag.status == "open"),
        "name": None, "anonymous_cleared": False,
        # Tickets with a higher id were opened after the merge (ids, unlike clocks, only grow).
        "last_ticket_id": session.scalar(select(func.max(Ticket.id))) or 0,
    }
    _move(session, Identity, moved["identities"], Identity.customer_id, survivor.id)
    _move(session, Ticket, moved["tickets"], Ticket.customer_id, survivor.id)
    _move(session, Interaction, moved["interactions"], Interaction.customer_id, survivor.id)
    moved.update(move_references(session, other.id, survivor.id))
    if moved["flags"]:
        session.execute(update(DuplicateFlag).where(DuplicateFlag.id.in_(moved["flags"]))
                        .values(status="resolved", resolved_at=utcnow()))
    if survivor.name is None and other.name:
        survivor.name = moved["name"] = other.name
    if survivor.anonymous and not other.anonymous:
        survivor.anonymous, moved["anonymous_cleared"] = False, True
    other.merged_into_id = survivor.id
    survivor.updated_at = other.updated_at = utcnow()
    record = CustomerMerge(survivor_id=survivor.id, merged_id=other.id, moved=moved, actor=actor)
    session.add(record)
    session.flush()
    session.expire_all()
    return merge_result(record)


def undo_merge(session: Session, merge_id: int) -> MergeResult:
    """Give the absorbed customer back what the merge took (see the module docstring)."""
    record = session.get(CustomerMerge, merge_id)
    if record is None:
        raise NotFound(f"There is no merge #{merge_id}.", field="merge_id")
    if record.undone_at is not None:
        raise MergeError(f"Merge #{merge_id} was already undone at "
                         f"{record.undone_at.isoformat()}.", field="merge_id")
    survivor = session.get(Customer, record.survivor_id)
    if survivor.merged_into_id is not None:
        raise MergeError(f"Customer #{survivor.id} has since been merged into customer "
                         f"#{survivor.merged_into_id}; undo that merge before merge "
                         f"#{merge_id}.", field="merge_id")
    other = session.get(Customer, record.merged_id)
    moved = record.moved
    identities = _ids(session, Identity, Identity.id.in_(moved["identities"]),
                      Identity.customer_id == survivor.id)
    tickets = _ids(session, Ticket, Ticket.id.in_(moved["tickets"]),
                   Ticket.customer_id == survivor.id)
    tickets += _opened_through(session, record, identities)
    _move(session, Identity, identities, Identity.customer_id, other.id)
    _move(session, Ticket, tickets, Ticket.customer_id, other.id)
    interactions = _ids(session, Interaction, Interaction.ticket_id.in_(tickets))
    _move(session, Interaction, interactions, Interaction.customer_id, other.id)
    if moved["flags"]:
        session.execute(update(DuplicateFlag).where(DuplicateFlag.id.in_(moved["flags"]))
                        .values(status="open", resolved_at=None))
    if moved.get("name") and survivor.name == moved["name"]:
        survivor.name = None
    if moved.get("anonymous_cleared"):
        survivor.anonymous = True
    other.merged_into_id = None
    record.undone_at = survivor.updated_at = other.updated_at = utcnow()
    references = restore_references(session, moved, survivor.id, other.id)
    record.restored = {"identities": identities, "tickets": sorted(tickets),
                       "interactions": interactions, **references,
                       "kept_identities": sorted(set(moved["identities"]) - set(identities))}
    session.flush()
    session.expire_all()
    return merge_result(record)


def get_merge(session: Session, merge_id: int) -> MergeResult:
    record = session.get(CustomerMerge, merge_id)
    if record is None:
        raise NotFound(f"There is no merge #{merge_id}.", field="merge_id")
    return merge_result(record)


def merge_result(record: CustomerMerge) -> MergeResult:
    return MergeResult(record.id, record.survivor_id, record.merged_id, dict(record.moved),
                       record.created_at, record.undone_at,
                       dict(record.restored) if record.restored is not None else None)


def _opened_through(session: Session, record: CustomerMerge, identity_ids: list[int]) -> list[int]:
    """Survivor tickets opened after the merge whose first contact matched a moved identity."""
    values = {(i.kind, i.value) for i in session.scalars(
        select(Identity).where(Identity.id.in_(identity_ids)))}
    found = []
    later = session.scalars(select(Ticket).where(Ticket.customer_id == record.survivor_id,
                                                 Ticket.id > record.moved["last_ticket_id"]))
    for ticket in later:
        first = session.scalars(select(Interaction).where(Interaction.ticket_id == ticket.id)
                                .order_by(Interaction.id).limit(1)).first()
        matched = (first.meta or {}).get("matched_by") if first is not None else None
        if matched and (matched.get("kind"), matched.get("value")) in values:
            found.append(ticket.id)
    return found


def _active(session: Session, customer_id: int, field: str) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"There is no customer #{customer_id}.", field=field)
    if customer.merged_into_id is not None:
        raise MergeError(f"Customer #{customer_id} was already merged into customer "
                         f"#{customer.merged_into_id}.", field=field)
    return customer


def _pair(a: int, b: int):
    low, high = sorted((a, b))
    return (DuplicateFlag.customer_id == low) & (DuplicateFlag.other_customer_id == high)


def _ids(session: Session, model, *conditions) -> list[int]:
    return list(session.scalars(select(model.id).where(*conditions).order_by(model.id)))


def _move(session: Session, model, ids: list[int], column, target: int) -> None:
    if ids:
        session.execute(update(model).where(model.id.in_(ids)).values({column: target}),
                        execution_options={"synchronize_session": False})
