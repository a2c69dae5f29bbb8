"""Filing contacts: one customer across channels and formats, the threading rule, idempotency."""

import datetime as dt
import threading

import pytest

from crm_link.contacts import file_contact, record_contact, update_interaction
from crm_link.customers import caller_profile, create_customer, list_duplicate_flags, lookup
from crm_link.directory import Contact
from crm_link.errors import InvalidInput, NotFound
from crm_link.models import Customer, Identity, Interaction, Ticket
from crm_link.tickets import open_tickets, timeline, update_ticket
from tests.crm_link.crm_helpers import DAY, NOW, count, file


def test_email_yesterday_and_call_today_share_one_customer_and_ticket(session):
    customer = create_customer(session, name="山田", phones=["03-1234-5678"],
                               emails=["yamada@example.jp"])
    mail = file(session, at=NOW - DAY, channel="email", email="Yamada@Example.JP",
                subject="請求書について", text="請求書が届きません")
    call = file(session, channel="voice", phone="０３（１２３４）５６７８")
    assert mail.customer_id == call.customer_id == customer.id
    assert call.ticket_id == mail.ticket_id
    assert not call.created_customer and not call.created_ticket
    assert call.thread_reason == (f"joined open ticket #{mail.ticket_id} (opened by email) "
                                  "updated 1 day ago")
    entries = timeline(session, customer.id).entries
    assert [e.channel for e in entries] == ["voice", "email"]


@pytest.mark.parametrize("age, joins", [
    (dt.timedelta(0), True),
    (dt.timedelta(days=6, hours=23), True),
    (dt.timedelta(days=7), True),                       # the edge itself is inside
    (dt.timedelta(days=7, seconds=1), False),
    (dt.timedelta(days=30), False),
])
def test_threading_window_edges(session, age, joins):
    first = file(session, at=NOW - age, channel="sms", phone="090-1234-5678", text="hi")
    second = file(session, channel="chat", phone="+819012345678", text="again")
    assert (second.ticket_id == first.ticket_id) is joins
    assert second.created_ticket is not joins
    if not joins:
        assert second.thread_reason.startswith("new ticket: no open ticket within 7 days")
        assert f"open ticket #{first.ticket_id} was last updated" in second.thread_reason


def test_back_dated_contact_does_not_join_a_much_later_ticket(session):
    later = file(session, at=NOW, phone="090-1234-5678")
    back_dated = file(session, at=NOW - 30 * DAY, phone="090-1234-5678")
    near = file(session, at=NOW - 3 * DAY, phone="090-1234-5678")
    assert back_dated.ticket_id != later.ticket_id
    assert near.ticket_id == later.ticket_id


@pytest.mark.parametrize("window_days, joins", [(0, False), (1, False), (2, True), (30, True)])
def test_window_is_configurable(session, window_days, joins):
    first = file(session, at=NOW - 2 * DAY, phone="090-1234-5678")
    second = file(session, window_days=window_days, phone="090-1234-5678")
    assert (second.ticket_id == first.ticket_id) is joins


@pytest.mark.parametrize("status, joins", [
    ("new", True), ("open", True), ("pending", True), ("solved", False), ("closed", False),
])
def test_only_open_tickets_are_joined(session, status, joins):
    first = file(session, at=NOW - DAY, phone="090-1234-5678")
    update_ticket(session, first.ticket_id, status=status)
    ticket = session.get(Ticket, first.ticket_id)
    ticket.updated_at = NOW - DAY  # the edit is not customer activity for this test
    second = file(session, phone="090-1234-5678")
    assert (second.ticket_id == first.ticket_id) is joins


def test_inbound_contact_reopens_a_pending_ticket_and_outbound_is_first_response(session):
    first = file(session, at=NOW - 2 * DAY, channel="email", email="a@example.jp")
    update_ticket(session, first.ticket_id, status="pending")
    session.get(Ticket, first.ticket_id).updated_at = NOW - 2 * DAY  # edited back then
    reply = file(session, at=NOW - DAY, channel="email", email="a@example.jp",
                 direction="outbound", author="agent 7")
    file(session, channel="email", email="a@example.jp")
    ticket = session.get(Ticket, first.ticket_id)
    assert reply.ticket_id == ticket.id
    assert ticket.status == "open"
    assert ticket.first_response_at == NOW - DAY


def test_same_external_id_is_stored_once(session):
    one = file(session, channel="sms", phone="090-1234-5678", external_id="SM1", text="a")
    two = file(session, channel="sms", phone="090-1234-5678", external_id="SM1", text="a")
    other_channel = file(session, channel="chat", phone="090-1234-5678", external_id="SM1")
    assert (two.customer_id, two.ticket_id, two.interaction_id) == (
        one.customer_id, one.ticket_id, one.interaction_id)
    assert two.duplicate and not one.duplicate
    assert two.thread_reason == one.thread_reason
    assert other_channel.interaction_id != one.interaction_id  # idempotency is per channel
    assert count(session, Interaction) == 2


@pytest.mark.parametrize("phone, kind", [
    ("anonymous", "anonymous"), ("+266696687", "anonymous"), ("client:alice", "client"),
    ("sip:bob@example.com", "sip"), ("", "invalid"), ("+", "invalid"), ("unknown", "anonymous"),
])
def test_non_numbers_never_create_phone_identities(session, phone, kind):
    first = file(session, phone=phone)
    second = file(session, phone=phone)
    assert first.created_customer and second.created_customer
    assert first.customer_id != second.customer_id  # two withheld callers are not one person
    assert count(session, Identity) == 0
    customer = session.get(Customer, first.customer_id)
    assert customer.anonymous
    row = session.get(Interaction, first.interaction_id)
    assert row.meta["caller"]["kind"] == kind
    assert session.get(Ticket, first.ticket_id).subject.startswith("Call from")


def test_non_number_with_another_identity_files_on_that_customer(session):
    customer = create_customer(session, name="Taro", emails=["taro@example.jp"])
    result = file(session, channel="web", phone="anonymous", email="taro@example.jp")
    assert result.customer_id == customer.id and not result.created_customer


def test_unknown_sender_gets_a_new_customer_with_that_identity(session):
    result = file(session, channel="sms", phone="080-1111-2222", name="Hanako", text="hello")
    assert result.created_customer and result.created_ticket
    match = lookup(session, phone="+818011112222")
    assert match.customer.id == result.customer_id
    assert match.customer.name == "Hanako"
    assert session.get(Ticket, result.ticket_id).subject == "hello"


def test_new_identities_given_by_a_known_sender_join_that_customer(session):
    customer = create_customer(session, name="Taro", emails=["taro@example.jp"])
    file(session, channel="web", email="taro@example.jp", phone="090-7777-8888")
    assert lookup(session, phone="09077778888").customer.id == customer.id


def test_contact_matching_two_customers_is_flagged_not_merged(session):
    by_phone = create_customer(session, name="A", phones=["090-1234-5678"])
    by_mail = create_customer(session, name="B", emails=["b@example.jp"])
    result = file(session, channel="web", phone="090-1234-5678", email="b@example.jp")
    assert result.customer_id == by_phone.id  # phone outranks email
    flags = list_duplicate_flags(session)
    assert [f["customer_ids"] for f in flags] == [sorted([by_phone.id, by_mail.id])]
    assert "matched customer" in flags[0]["reason"]
    assert session.get(Customer, by_mail.id).merged_into_id is None


def test_replies_join_the_answered_ticket_even_outside_the_window(session):
    first = file(session, at=NOW - 90 * DAY, channel="email", email="a@example.jp",
                 external_id="<m1@example.jp>")
    reply = file(session, channel="email", email="someone-else@example.jp",
                 external_id="<m2@example.jp>", in_reply_to=("<m1@example.jp>",))
    by_refs = file(session, channel="email", email="a@example.jp", external_id="<m3@x>",
                   references=("<zz@x>", "<m2@example.jp>"))
    assert reply.ticket_id == first.ticket_id == by_refs.ticket_id
    assert reply.customer_id == first.customer_id
    assert reply.thread_reason == "email reply: In-Reply-To <m1@example.jp>"
    assert by_refs.thread_reason == "email reply: References <m2@example.jp>"


@pytest.mark.parametrize("status, same_ticket, reopened", [
    ("solved", True, True), ("closed", False, False), ("pending", True, False),
])
def test_reply_to_solved_reopens_and_to_closed_opens_new(session, status, same_ticket, reopened):
    first = file(session, at=NOW - DAY, channel="email", email="a@example.jp",
                 external_id="<m1@x>")
    update_ticket(session, first.ticket_id, status=status)
    reply = file(session, channel="email", email="a@example.jp", in_reply_to=("<m1@x>",))
    assert (reply.ticket_id == first.ticket_id) is same_ticket
    assert ("reopened" in reply.thread_reason) is reopened
    if status == "closed":
        assert "is closed" in reply.thread_reason


def test_update_interaction_merges_metadata_and_appends_attachments(session):
    result = file(session, channel="voicemail", phone="090-1234-5678",
                  metadata={"CallSid": "CA1"},
                  attachments=({"kind": "recording", "recording_id": 1, "url": "/recordings/1"},))
    recording = {"kind": "recording", "recording_id": 12, "url": "/recordings/12"}
    entry = update_interaction(session, result.interaction_id, text="お電話ください",
                               metadata={"transcript_confidence": 0.9},
                               attachments=[recording])
    entry = update_interaction(session, result.interaction_id, attachments=[recording])
    assert entry.text == "お電話ください"
    assert entry.metadata["CallSid"] == "CA1"
    assert entry.metadata["transcript_confidence"] == 0.9
    assert [a["recording_id"] for a in entry.attachments] == [1, 12]
    assert entry.to_dict()["recordings"][1] == {"recording_id": 12, "url": "/recordings/12"}


@pytest.mark.parametrize("fields, error", [
    ({"text": 5}, "text"), ({"metadata": []}, "metadata"), ({"attachments": {}}, "attachments"),
    ({"attachments": ["x"]}, "attachments"),
])
def test_update_interaction_rejects_wrong_types(session, fields, error):
    result = file(session, phone="090-1234-5678")
    with pytest.raises(InvalidInput) as err:
        update_interaction(session, result.interaction_id, **fields)
    assert err.value.field == error


def test_update_of_missing_interaction_is_not_found(session):
    with pytest.raises(NotFound, match="#999"):
        update_interaction(session, 999, text="x")


@pytest.mark.parametrize("fields, field", [
    ({"channel": "fax"}, "channel"), ({"direction": "sideways"}, "direction"),
    ({"external_id": ""}, "external_id"), ({"external_id": "x" * 256}, "external_id"),
    ({"at": dt.datetime(2024, 1, 1)}, "at"), ({"email": "nope"}, "from.email"),
])
def test_bad_contacts_are_refused(session, fields, field):
    with pytest.raises(InvalidInput) as err:
        record_contact(session, Contact(**{"channel": "voice", "phone": "03-1234-5678",
                                           **fields}), region="JP", window_days=7)
    assert err.value.field == field


def test_timeline_pages_newest_first_across_tickets(session):
    ids = []
    for hours in range(5):  # 5 interactions, two tickets (window 1 day, 20h apart)
        at = NOW + dt.timedelta(hours=20 * hours)
        ids.append(file(session, at=at, window_days=0, channel="sms",
                        phone="090-1234-5678").interaction_id)
    customer_id = session.get(Interaction, ids[0]).customer_id
    page = timeline(session, customer_id, limit=2)
    assert [e.id for e in page.entries] == ids[::-1][:2]
    page2 = timeline(session, customer_id, limit=2, before=page.next_before)
    page3 = timeline(session, customer_id, limit=2, before=page2.next_before)
    assert [e.id for e in page2.entries + page3.entries] == ids[::-1][2:]
    assert page3.next_before is None
    assert len({e.ticket_id for e in page.entries + page2.entries + page3.entries}) == 5
    assert open_tickets(session, customer_id)[0].id == page.entries[0].ticket_id


def test_concurrent_deliveries_of_one_message_are_stored_once(db):
    """Eight workers filing the same SMS at once: one row, everyone gets its ids."""
    barrier = threading.Barrier(8)
    results = []

    def deliver():
        barrier.wait()
        results.append(file_contact(db, Contact(channel="sms", phone="090-1234-5678",
                                                external_id="SM-race", at=NOW),
                                    region="JP", window_days=7))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({(r.customer_id, r.ticket_id, r.interaction_id) for r in results}) == 1
    assert sum(not r.duplicate for r in results) == 1
    with db.session() as session:
        assert (count(session, Interaction), count(session, Customer)) == (1, 1)


def test_caller_profile_lists_open_tickets_newest_first(session):
    older = file(session, at=NOW - 2 * DAY, phone="03-1234-5678", name="Taro")
    update_ticket(session, older.ticket_id, status="pending")
    session.get(Ticket, older.ticket_id).updated_at = NOW - 2 * DAY
    newer = file(session, at=NOW, window_days=1, channel="email", email="t@example.jp",
                 phone="0312345678")
    solved = file(session, at=NOW - 9 * DAY, window_days=0, phone="03-1234-5678")
    update_ticket(session, solved.ticket_id, status="solved")
    profile = caller_profile(session, "+81312345678", "JP")
    assert profile.known and profile.name == "Taro"
    assert profile.open_ticket_ids == (newer.ticket_id, older.ticket_id)
    assert profile.matched_by["rule"] == "E.164"
