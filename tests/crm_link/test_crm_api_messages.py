"""POST /api/messages: unknown senders get a customer, repeats are stored once, bad input is a 400."""

import pytest


def send(client, headers, **body):
    return client.post("/api/messages", json=body, headers=headers)


def test_message_from_unknown_sender_creates_customer_and_ticket(client, api_headers):
    response = send(client, api_headers, channel="chat", **{"from": {"phone": "090-1234-5678"}},
                    name="花子", text="配送状況を教えてください")
    body = response.get_json()
    assert response.status_code == 201, body
    assert body["created_customer"] and body["created_ticket"]
    found = client.get("/api/customers/lookup?phone=%2B819012345678", headers=api_headers)
    assert found.get_json()["customer"]["id"] == body["customer_id"]
    assert found.get_json()["customer"]["name"] == "花子"


def test_same_external_id_twice_is_stored_once(client, api_headers):
    message = {"channel": "sms", "from": {"phone": "+819012345678"}, "text": "hi",
               "external_id": "SM123"}
    first = client.post("/api/messages", json=message, headers=api_headers)
    second = client.post("/api/messages", json=message, headers=api_headers)
    assert (first.status_code, second.status_code) == (201, 200)
    keys = ("customer_id", "ticket_id", "interaction_id")
    assert [first.get_json()[k] for k in keys] == [second.get_json()[k] for k in keys]
    timeline = client.get(f"/api/customers/{first.get_json()['customer_id']}/timeline",
                          headers=api_headers).get_json()
    assert len(timeline["interactions"]) == 1


def test_messages_from_any_channel_join_the_open_ticket(client, api_headers):
    a = send(client, api_headers, channel="web", **{"from": {"email": "t@example.jp"}},
             subject="返品", text="返品したい").get_json()
    b = send(client, api_headers, channel="email", **{"from": {"email": "T@EXAMPLE.JP"}},
             text="続きです").get_json()
    assert b["ticket_id"] == a["ticket_id"]
    assert b["thread_reason"].startswith(f"joined open ticket #{a['ticket_id']} (opened by web)")


@pytest.mark.parametrize("body, field", [
    ({"channel": "fax", "from": {"phone": "0312345678"}, "text": "x"}, "channel"),
    ({"channel": "voice", "from": {"phone": "0312345678"}, "text": "x"}, "channel"),
    ({"from": {"phone": "0312345678"}, "text": "x"}, "channel"),
    ({"channel": "sms", "text": "x"}, "from"),
    ({"channel": "sms", "from": {}, "text": "x"}, "from"),
    ({"channel": "sms", "from": "0312345678", "text": "x"}, "from"),
    ({"channel": "sms", "from": {"fax": "1"}, "text": "x"}, "from.fax"),
    ({"channel": "sms", "from": {"phone": 312345678}, "text": "x"}, "from.phone"),
    ({"channel": "sms", "from": {"email": "not-an-email"}, "text": "x"}, "from.email"),
    ({"channel": "sms", "from": {"phone": "0312345678"}}, "text"),
    ({"channel": "sms", "from": {"phone": "0312345678"}, "text": ["x"]}, "text"),
    ({"channel": "sms", "from": {"phone": "0312345678"}, "text": "x", "external_id": 5},
     "external_id"),
    ({"channel": "sms", "from": {"phone": "0312345678"}, "text": "x", "at": "now"}, "at"),
    # NUL characters cannot be stored in PostgreSQL text (found by the schemathesis fuzz test)
    ({"channel": "sms", "from": {"phone": "0312345678"}, "text": "x", "external_id": "\x00"},
     "external_id"),
    ({"channel": "sms", "from": {"phone": "0312345678"}, "text": "a\x00b"}, "text"),
    ({"channel": "sms", "from": {"phone": "03\x0012345678"}, "text": "x"}, "from.phone"),
    ({"channel": "sms", "from": {"phone": "0312345678"}, "text": "x",
      "metadata": {"tags": ["ok", "\x00"]}}, "metadata.tags[1]"),
])
def test_bad_messages_are_400_naming_the_field(client, api_headers, body, field):
    response = client.post("/api/messages", json=body, headers=api_headers)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["field"] == field


def test_message_from_withheld_number_is_filed_on_an_anonymous_customer(client, api_headers):
    body = send(client, api_headers, channel="sms", **{"from": {"phone": "anonymous"}},
                text="x").get_json()
    customer = client.get(f"/api/customers/{body['customer_id']}", headers=api_headers)
    assert customer.get_json()["anonymous"] is True
    assert customer.get_json()["phones"] == []
