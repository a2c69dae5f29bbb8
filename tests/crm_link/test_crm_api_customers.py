"""The customer endpoints: create, lookup, read, timeline, merge and undo; every error is a 4xx JSON."""

import pytest

from crm_link.contacts import update_interaction
from tests.crm_link.crm_helpers import DAY, NOW, file


def post(client, headers, url, body):
    return client.post(url, json=body, headers=headers)


def test_create_customer_returns_normalized_identities(client, api_headers):
    response = post(client, api_headers, "/api/customers", {
        "name": "山田 太郎", "phones": ["03-1234-5678", "０９０-１２３４-５６７８"],
        "emails": ["Taro@Example.JP"], "member_ids": ["m-001"]})
    body = response.get_json()
    assert response.status_code == 201, body
    assert body["name"] == "山田 太郎"
    assert body["phones"] == ["+81312345678", "+819012345678"]
    assert body["emails"] == ["taro@example.jp"]
    assert body["member_ids"] == ["M-001"]
    assert isinstance(body["id"], int)


def test_phone_owned_by_another_customer_is_409_naming_it(client, api_headers):
    first = post(client, api_headers, "/api/customers",
                 {"name": "A", "phones": ["03-1234-5678"]}).get_json()
    response = post(client, api_headers, "/api/customers",
                    {"name": "B", "phones": ["+81 3 1234 5678"]})
    body = response.get_json()
    assert response.status_code == 409
    assert body["customer_id"] == first["id"]
    assert body["field"] == "phones[0]"
    assert f"#{first['id']}" in body["error"]


@pytest.mark.parametrize("body, field", [
    ({"name": "x", "phones": ["12"]}, "phones[0]"),
    ({"name": "x", "phones": ["03-1234-5678", "anonymous"]}, "phones[1]"),
    ({"name": "x", "phones": "03-1234-5678"}, "phones"),
    ({"name": "x", "phones": [5]}, "phones[0]"),
    ({"name": "x", "emails": ["nope"]}, "emails[0]"),
    ({"name": 7}, "name"),
    ({"name": "x", "nickname": "y"}, "nickname"),
    ({}, "name"),
    ([], None),
    ("text", None),
    (None, None),
])
def test_bad_customer_bodies_are_400_naming_the_field(client, api_headers, body, field):
    response = post(client, api_headers, "/api/customers", body)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["field"] == field


@pytest.mark.parametrize("data, content_type", [
    (b"{not json", "application/json"),
    (b"\xff\xfe", "application/json"),
    (b"", "application/json"),
    (b'{"name": "x"}', "text/plain"),
    (b"name=x", "application/x-www-form-urlencoded"),
])
def test_malformed_json_is_400_not_500(client, api_headers, data, content_type):
    response = client.post("/api/customers", data=data,
                           headers={**api_headers, "Content-Type": content_type})
    assert response.status_code == 400
    assert "error" in response.get_json()


@pytest.mark.parametrize("query, status, kind", [
    ("phone=03-1234-5678", 200, "phone"),
    ("phone=%2B81312345678", 200, "phone"),
    ("phone=0081312345678", 200, "phone"),
    ("phone=%EF%BC%90%EF%BC%93%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96"
     "%EF%BC%97%EF%BC%98", 200, "phone"),
    ("email=TARO@example.jp", 200, "email"),
    ("member_id=m-1", 200, "member_id"),
    ("phone=090-9999-8888", 404, None),
    ("phone=anonymous", 404, None),
    ("phone=%2B266696687", 404, None),
    ("phone=client:alice", 404, None),
    ("phone=12", 400, None),
    ("phone=", 400, None),
    ("email=junk", 400, None),
    ("", 400, None),
])
def test_lookup(client, api_headers, query, status, kind):
    created = post(client, api_headers, "/api/customers", {
        "name": "Taro", "phones": ["03-1234-5678"], "emails": ["taro@example.jp"],
        "member_ids": ["M-1"]}).get_json()
    response = client.get(f"/api/customers/lookup?{query}", headers=api_headers)
    body = response.get_json()
    assert response.status_code == status, body
    if status == 200:
        assert body["customer"]["id"] == created["id"]
        assert body["matched_by"]["kind"] == kind
        assert set(body["matched_by"]) == {"kind", "input", "value", "rule"}
    else:
        assert body["error"]


def test_get_customer_and_missing_customer(client, api_headers, db):
    with db.session() as session:
        result = file(session, at=NOW, channel="sms", phone="090-1234-5678", name="Hanako")
    response = client.get(f"/api/customers/{result.customer_id}", headers=api_headers)
    body = response.get_json()
    assert response.status_code == 200
    assert body["name"] == "Hanako"
    assert [t["id"] for t in body["open_tickets"]] == [result.ticket_id]
    missing = client.get("/api/customers/9999", headers=api_headers)
    assert missing.status_code == 404 and "#9999" in missing.get_json()["error"]


def test_timeline_has_every_channel_text_and_recording_links(client, api_headers, db):
    with db.session() as session:
        mail = file(session, at=NOW - DAY, channel="email", email="t@example.jp",
                    phone="090-1234-5678", text="メールです")
        call = file(session, at=NOW, channel="voicemail", phone="09012345678")
        update_interaction(session, call.interaction_id, text="折り返しお願いします",
                           attachments=[{"kind": "recording", "recording_id": 12,
                                         "url": "/recordings/12"}])
    response = client.get(f"/api/customers/{mail.customer_id}/timeline", headers=api_headers)
    items = response.get_json()["interactions"]
    assert [(i["channel"], i["text"]) for i in items] == [("voicemail", "折り返しお願いします"),
                                                          ("email", "メールです")]
    assert items[0]["recordings"] == [{"recording_id": 12, "url": "/recordings/12"}]
    assert items[0]["links"] == ["/recordings/12"]
    assert {i["ticket_id"] for i in items} == {mail.ticket_id}
    assert all({"direction", "at"} <= set(i) for i in items)
    page = client.get(f"/api/customers/{mail.customer_id}/timeline?limit=1",
                      headers=api_headers).get_json()
    assert [i["id"] for i in page["interactions"]] == [call.interaction_id]
    older = client.get(f"/api/customers/{mail.customer_id}/timeline?limit=1&before="
                       f"{page['next_before']}", headers=api_headers).get_json()
    assert [i["id"] for i in older["interactions"]] == [mail.interaction_id]
    assert older["next_before"] is None


@pytest.mark.parametrize("query, field", [
    ("limit=0", "limit"), ("limit=abc", "limit"), ("limit=501", "limit"),
    ("before=x", "before"), ("before=999", "before"),
])
def test_timeline_bad_paging_is_400(client, api_headers, db, query, field):
    with db.session() as session:
        customer_id = file(session, phone="090-1234-5678").customer_id
    response = client.get(f"/api/customers/{customer_id}/timeline?{query}", headers=api_headers)
    assert response.status_code == 400
    assert response.get_json()["field"] == field


def test_merge_and_undo_endpoints(client, api_headers, db):
    with db.session() as session:
        a = file(session, phone="090-1234-5678")
        b = file(session, channel="email", email="b@example.jp")
    merged = post(client, api_headers, f"/api/customers/{a.customer_id}/merge",
                  {"other_id": b.customer_id})
    body = merged.get_json()
    assert merged.status_code == 201, body
    assert body["moved"]["tickets"] == [b.ticket_id]
    found = client.get("/api/customers/lookup?email=b@example.jp", headers=api_headers)
    assert found.get_json()["customer"]["id"] == a.customer_id
    absorbed = client.get(f"/api/customers/{b.customer_id}", headers=api_headers).get_json()
    assert absorbed["merged_into_id"] == a.customer_id
    assert client.get(f"/api/merges/{body['merge_id']}", headers=api_headers).status_code == 200
    undone = client.post(f"/api/merges/{body['merge_id']}/undo", headers=api_headers)
    assert undone.status_code == 200 and undone.get_json()["undone_at"]
    again = client.post(f"/api/merges/{body['merge_id']}/undo", headers=api_headers)
    assert again.status_code == 409 and "already undone" in again.get_json()["error"]
    found = client.get("/api/customers/lookup?email=b@example.jp", headers=api_headers)
    assert found.get_json()["customer"]["id"] == b.customer_id


@pytest.mark.parametrize("body, status, field", [
    ({"other_id": "2"}, 400, "other_id"), ({"other_id": True}, 400, "other_id"),
    ({}, 400, "other_id"), ({"other_id": 2, "x": 1}, 400, "x"),
    ({"other_id": 9999}, 404, "other_id"), ("self", 409, "other_id"),
])
def test_merge_errors(client, api_headers, db, body, status, field):
    with db.session() as session:
        a = file(session, phone="090-1234-5678")
    if body == "self":
        body = {"other_id": a.customer_id}
    response = post(client, api_headers, f"/api/customers/{a.customer_id}/merge", body)
    assert response.status_code == status
    assert response.get_json()["field"] == field


def test_unknown_merge_undo_is_404(client, api_headers):
    assert client.post("/api/merges/77/undo", headers=api_headers).status_code == 404


def test_duplicate_flags_are_listed_and_dismissed(client, api_headers, db):
    with db.session() as session:
        a = file(session, phone="090-1234-5678")
        b = file(session, channel="email", email="b@example.jp")
        file(session, channel="web", phone="090-1234-5678", email="b@example.jp")
    flags = client.get("/api/duplicates", headers=api_headers).get_json()["flags"]
    assert [f["customer_ids"] for f in flags] == [[a.customer_id, b.customer_id]]
    dismissed = client.post(f"/api/duplicates/{flags[0]['id']}/dismiss", headers=api_headers)
    assert dismissed.get_json()["status"] == "dismissed"
    assert client.get("/api/duplicates", headers=api_headers).get_json()["flags"] == []
    assert len(client.get("/api/duplicates?status=all",
                          headers=api_headers).get_json()["flags"]) == 1
    assert client.get("/api/duplicates?status=x", headers=api_headers).status_code == 400
