"""Merging customers moves identities, tickets and the timeline; undo gives them back, also later."""

import pytest
from sqlalchemy import select

from crm_link.customers import create_customer, list_duplicate_flags, lookup
from crm_link.errors import MergeError, NotFound
from crm_link.merges import merge_customers, undo_merge
from crm_link.models import Customer, Interaction, Ticket
from crm_link.tickets import timeline
from ivr.models import Call
from tests.crm_link.crm_helpers import DAY, NOW, file
from voicemail.models import Recording


def two_customers(session):
    """A (phone) with one call, B (email, member) with one email; B flagged against A."""
    a = file(session, at=NOW - 2 * DAY, phone="090-1234-5678", name="Taro")
    b = file(session, at=NOW - 2 * DAY, channel="email", email="taro@example.jp",
             member_id="M-1", external_id="<b1@example.jp>")
    file(session, at=NOW - 2 * DAY, channel="web", phone="090-1234-5678",
         email="taro@example.jp")  # flags A/B
    return a, b


def test_merge_moves_identities_tickets_and_timeline(session):
    a, b = two_customers(session)
    result = merge_customers(session, a.customer_id, b.customer_id, actor="agent 3")
    assert lookup(session, email="taro@example.jp").customer.id == a.customer_id
    assert lookup(session, member_id="m-1").customer.id == a.customer_id
    assert result.moved["tickets"] == [b.ticket_id]
    assert result.moved["interactions"] == [b.interaction_id]
    assert len(result.moved["identities"]) == 2
    assert {e.channel for e in timeline(session, a.customer_id).entries} == {"voice", "email",
                                                                             "web"}
    assert timeline(session, b.customer_id).entries == ()
    assert session.get(Customer, b.customer_id).merged_into_id == a.customer_id
    assert list_duplicate_flags(session) == []
    assert list_duplicate_flags(session, status="resolved")[0]["customer_ids"] == sorted(
        [a.customer_id, b.customer_id])


def test_undo_restores_the_state_before_the_merge(session):
    a, b = two_customers(session)
    merge = merge_customers(session, a.customer_id, b.customer_id)
    undone = undo_merge(session, merge.merge_id)
    assert undone.undone_at is not None
    assert lookup(session, email="taro@example.jp").customer.id == b.customer_id
    assert [e.id for e in timeline(session, b.customer_id).entries] == [b.interaction_id]
    assert session.get(Customer, b.customer_id).merged_into_id is None
    assert len(list_duplicate_flags(session)) == 1  # the flag is open again


def test_undo_after_new_contacts_arrived(session):
    a, b = two_customers(session)
    merge = merge_customers(session, a.customer_id, b.customer_id)
    # After the merge: a reply joins B's old ticket; a call joins A's own ticket; a contact
    # through B's member ID opens a new ticket; a text through A's phone opens another.
    on_b_ticket = file(session, at=NOW - DAY, channel="email", email="taro@example.jp",
                       in_reply_to=("<b1@example.jp>",))
    session.get(Ticket, b.ticket_id).status = "closed"
    on_a = file(session, at=NOW - DAY, phone="090-1234-5678")
    session.get(Ticket, a.ticket_id).status = "closed"
    through_b = file(session, at=NOW, channel="web", member_id="M-1", text="new")
    session.get(Ticket, through_b.ticket_id).status = "solved"
    through_a = file(session, at=NOW, channel="sms", phone="090-1234-5678")
    undone = undo_merge(session, merge.merge_id)

    def owner(result):
        return session.get(Ticket, result.ticket_id).customer_id

    assert on_b_ticket.ticket_id == b.ticket_id and on_a.ticket_id == a.ticket_id
    assert (owner(on_b_ticket), owner(through_b)) == (b.customer_id, b.customer_id)
    assert (owner(on_a), owner(through_a)) == (a.customer_id, a.customer_id)
    assert session.get(Interaction, on_b_ticket.interaction_id).customer_id == b.customer_id
    assert undone.restored["tickets"] == sorted([b.ticket_id, through_b.ticket_id])
    assert lookup(session, member_id="M-1").customer.id == b.customer_id
    assert {e.id for e in timeline(session, b.customer_id).entries} == {
        b.interaction_id, on_b_ticket.interaction_id, through_b.interaction_id}


def test_identity_added_to_the_survivor_after_the_merge_stays(session):
    a, b = two_customers(session)
    merge = merge_customers(session, a.customer_id, b.customer_id)
    file(session, channel="web", email="taro@example.jp", phone="03-9999-0000")
    undo_merge(session, merge.merge_id)
    assert lookup(session, phone="03-9999-0000").customer.id == a.customer_id


@pytest.mark.parametrize("case, error", [
    ("self", MergeError), ("missing", NotFound), ("already merged", MergeError),
])
def test_impossible_merges_are_refused(session, case, error):
    a, b = two_customers(session)
    if case == "already merged":
        merge_customers(session, a.customer_id, b.customer_id)
    other = {"self": a.customer_id, "missing": 999, "already merged": b.customer_id}[case]
    with pytest.raises(error) as err:
        merge_customers(session, a.customer_id, other)
    assert f"#{other}" in str(err.value)


def test_undo_twice_or_out_of_order_is_refused(session):
    a = create_customer(session, name="A", phones=["090-1111-1111"])
    b = create_customer(session, name="B", phones=["090-2222-2222"])
    c = create_customer(session, name="C", phones=["090-3333-3333"])
    first = merge_customers(session, b.id, c.id)
    second = merge_customers(session, a.id, b.id)
    with pytest.raises(MergeError, match=f"undo that merge before merge #{first.merge_id}"):
        undo_merge(session, first.merge_id)
    undo_merge(session, second.merge_id)
    undo_merge(session, first.merge_id)
    with pytest.raises(MergeError, match="already undone"):
        undo_merge(session, first.merge_id)
    with pytest.raises(NotFound):
        undo_merge(session, 999)
    assert lookup(session, phone="09033333333").customer.id == c.id


def test_survivor_takes_the_name_of_the_absorbed_customer_until_undo(session):
    anonymous = file(session, phone="anonymous")
    named = create_customer(session, name="Hanako", phones=["090-5555-5555"])
    merge = merge_customers(session, anonymous.customer_id, named.id)
    survivor = session.get(Customer, anonymous.customer_id)
    assert (survivor.name, survivor.anonymous) == ("Hanako", False)
    undo_merge(session, merge.merge_id)
    survivor = session.get(Customer, anonymous.customer_id)
    assert (survivor.name, survivor.anonymous) == (None, True)


def test_merge_moves_calls_and_recordings_and_undo_brings_them_back(session):
    """Other features' rows that point at a customer (crm_link.references) follow merges."""
    a, b = two_customers(session)
    call = dict(from_number="taro@example.jp", to_number="+81312345678", flow_name="f",
                flow_revision="r", state={}, turn=1, last_twiml="", events=[])
    session.add_all([Call(call_sid="CA-b", customer_id=b.customer_id, **call),
                     Call(call_sid="CA-a", customer_id=a.customer_id, **call),
                     Recording(recording_sid="RE-b", call_sid="CA-b", kind="voicemail",
                               source_url="u", customer_id=b.customer_id)])
    session.flush()
    merged = merge_customers(session, a.customer_id, b.customer_id)
    calls = dict(session.execute(select(Call.call_sid, Call.customer_id)).all())
    assert calls == {"CA-a": a.customer_id, "CA-b": a.customer_id}
    assert session.scalar(select(Recording.customer_id)) == a.customer_id
    assert len(merged.moved["calls"]) == 1 and len(merged.moved["recordings"]) == 1

    undone = undo_merge(session, merged.merge_id)
    calls = dict(session.execute(select(Call.call_sid, Call.customer_id)).all())
    assert calls == {"CA-a": a.customer_id, "CA-b": b.customer_id}
    assert session.scalar(select(Recording.customer_id)) == b.customer_id
    assert undone.restored["calls"] == merged.moved["calls"]
