"""Customers and their identities: create, look up by any identity, caller profiles, duplicate flags."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from core.db import utcnow
from crm_link.directory import CallerProfile, CustomerView, IdentityView, Match
from crm_link.errors import IdentityConflict, InvalidInput, NotFound
from crm_link.identities import IdentityKey, identity_key
from crm_link.models import OPEN_STATUSES, Customer, DuplicateFlag, Identity, Ticket
from crm_link.phones import check_region, parse_phone

LIST_FIELDS = (("phones", "phone"), ("emails", "email"), ("member_ids", "member_id"))


def customer_view(customer: Customer) -> CustomerView:
    idents = tuple(IdentityView(i.kind, i.value, i.raw, i.rule, i.source)
                   for i in customer.identities)
    return CustomerView(customer.id, customer.name, customer.anonymous, customer.merged_into_id,
                        customer.created_at, idents)


def get_customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id, options=[selectinload(Customer.identities)])
    if customer is None:
        raise NotFound(f"There is no customer #{customer_id}.", field="customer_id")
    return customer


def create_customer(session: Session, *, name: str | None = None, phones: Sequence[str] = (),
                    emails: Sequence[str] = (), member_ids: Sequence[str] = (),
                    region: str = "JP", source: str = "api") -> Customer:
    """A new customer; every identity is validated and checked for an owner before anything is stored."""
    given = {"phones": phones, "emails": emails, "member_ids": member_ids}
    keyed: list[tuple[str, IdentityKey]] = []
    seen: set[tuple[str, str]] = set()
    for list_name, kind in LIST_FIELDS:
        for index, raw in enumerate(given[list_name]):
            where = f"{list_name}[{index}]"
            key = identity_key(kind, raw, region, field=where)
            if (key.kind, key.value) not in seen:
                seen.add((key.kind, key.value))
                keyed.append((where, key))
    check_owners(session, keyed)
    customer = Customer(name=name, anonymous=False)
    session.add(customer)
    session.flush()
    attach_identities(session, customer, keyed, source=source)
    return customer


def check_owners(session: Session, keyed: Sequence[tuple[str, IdentityKey]],
                 *, allowed: int | None = None) -> None:
    """Raise IdentityConflict for the first identity owned by a customer other than `allowed`."""
    owners = owners_of(session, [key for _, key in keyed])
    for where, key in keyed:
        owner = owners.get((key.kind, key.value))
        if owner is not None and owner.customer_id != allowed:
            raise IdentityConflict(
                f"The {key.kind} {key.raw!r} ({key.value}) already belongs to customer "
                f"#{owner.customer_id}.", other_customer_id=owner.customer_id, field=where)


def owners_of(session: Session, keys: Iterable[IdentityKey]) -> dict[tuple[str, str], Identity]:
    """The stored identities matching these keys, by (kind, value); one indexed query."""
    keys = list(keys)
    if not keys:
        return {}
    clause = or_(*(and_(Identity.kind == k.kind, Identity.value == k.value) for k in keys))
    return {(i.kind, i.value): i for i in session.scalars(select(Identity).where(clause))}


def attach_identities(session: Session, customer: Customer,
                      keyed: Sequence[tuple[str, IdentityKey]], *, source: str) -> None:
    """Insert identities (owners were checked; a concurrent insert fails on the unique key)."""
    for _, key in keyed:
        session.add(Identity(customer_id=customer.id, kind=key.kind, value=key.value,
                             raw=key.raw[:320], rule=key.rule, source=source))
    session.flush()
    session.expire(customer, ["identities"])


def lookup(session: Session, *, phone: str | None = None, email: str | None = None,
           member_id: str | None = None, region: str = "JP") -> Match | None:
    """The customer owning the first usable identity given (member ID, then phone, then email)."""
    region = check_region(region)
    for kind, raw in (("member_id", member_id), ("phone", phone), ("email", email)):
        if raw is None:
            continue
        try:
            key = identity_key(kind, raw, region)
        except InvalidInput:
            continue
        owner = (select(Identity.customer_id)
                 .where(Identity.kind == key.kind, Identity.value == key.value)
                 .scalar_subquery())
        customer = session.scalars(  # one round trip: the customer and all its identities
            select(Customer).where(Customer.id == owner)
            .options(joinedload(Customer.identities))).unique().first()
        if customer is not None:
            return Match(customer_view(customer), key.matched_by())
    return None


def caller_profile(session: Session, raw_from: str, region: str = "JP") -> CallerProfile:
    """Who is calling, for the IVR: known customer, unknown number, or not a number at all."""
    parsed = parse_phone(raw_from, region)
    if not parsed.is_number:
        return CallerProfile(known=False, customer_id=None, name=None, phone=None,
                             phone_kind=parsed.kind)
    match = lookup(session, phone=raw_from, region=region)
    if match is None:
        return CallerProfile(known=False, customer_id=None, name=None, phone=parsed.value,
                             phone_kind="e164")
    tickets = session.scalars(
        select(Ticket.id).where(Ticket.customer_id == match.customer.id,
                                Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())).all()
    return CallerProfile(known=True, customer_id=match.customer.id, name=match.customer.name,
                         phone=parsed.value, phone_kind="e164", matched_by=match.matched_by,
                         open_ticket_ids=tuple(tickets))


def flag_duplicates(session: Session, customer_id: int, other_id: int,
                    reason: str) -> DuplicateFlag:
    """Record that two customers may be one person; an existing flag for the pair is kept as is."""
    low, high = sorted((customer_id, other_id))
    existing = session.scalars(select(DuplicateFlag).where(
        DuplicateFlag.customer_id == low, DuplicateFlag.other_customer_id == high)).first()
    if existing is not None:
        return existing
    flag = DuplicateFlag(customer_id=low, other_customer_id=high, reason=reason[:500])
    session.add(flag)
    session.flush()
    return flag


def list_duplicate_flags(session: Session, *, status: str | None = "open",
                         limit: int = 100) -> list[dict]:
    query = select(DuplicateFlag).order_by(DuplicateFlag.id.desc()).limit(limit)
    if status is not None:
        query = query.where(DuplicateFlag.status == status)
    return [flag_dict(f) for f in session.scalars(query)]


def dismiss_flag(session: Session, flag_id: int) -> dict:
    """A human decided the two customers are different people."""
    flag = session.get(DuplicateFlag, flag_id)
    if flag is None:
        raise NotFound(f"There is no duplicate flag #{flag_id}.", field="flag_id")
    flag.status, flag.resolved_at = "dismissed", utcnow()
    return flag_dict(flag)


def flag_dict(flag: DuplicateFlag) -> dict:
    return {"id": flag.id, "customer_ids": [flag.customer_id, flag.other_customer_id],
            "reason": flag.reason, "status": flag.status,
            "created_at": flag.created_at.isoformat(),
            "resolved_at": flag.resolved_at.isoformat() if flag.resolved_at else None}
