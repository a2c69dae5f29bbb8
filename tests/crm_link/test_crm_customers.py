"""Customers and identities: one record per person whatever the format, conflicts named, lookups explained."""

import json

import pytest
from sqlalchemy import inspect

from crm_link.customers import caller_profile, create_customer, lookup
from crm_link.directory import CallerProfile, CustomerDirectory
from crm_link.errors import IdentityConflict, InvalidInput
from crm_link.identities import identity_key
from crm_link.store import SqlDirectory


@pytest.mark.parametrize("kind, raw, value", [
    ("email", "Taro@Example.CO.JP", "taro@example.co.jp"),
    ("email", "  taro@example.co.jp ", "taro@example.co.jp"),
    ("email", "山田 太郎 <Taro.Yamada@Example.jp>", "taro.yamada@example.jp"),
    ("email", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "taro@example.jp"),
    ("member_id", " m-00123 ", "M-00123"),
    ("member_id", "ｍ－００１２３", "M-00123"),
    ("phone", "０９０-１２３４-５６７８", "+819012345678"),
])
def test_identity_values_are_normalized(kind, raw, value):
    assert identity_key(kind, raw, "JP").value == value


@pytest.mark.parametrize("kind, raw", [
    ("email", "not-an-address"), ("email", "a@"), ("email", "@b.jp"), ("email", "a b@c.jp"),
    ("email", ""), ("member_id", ""), ("member_id", "has space"), ("member_id", "x" * 65),
    ("phone", "anonymous"), ("phone", "client:alice"), ("phone", "+"), ("kind", "x"),
])
def test_unusable_identities_are_refused_naming_the_value(kind, raw):
    with pytest.raises(InvalidInput) as err:
        identity_key(kind, raw, "JP", field="f")
    assert repr(raw) in str(err.value)


def test_create_customer_stores_normalized_identities(session):
    customer = create_customer(session, name="山田 太郎", phones=["03-1234-5678", "+81312345678"],
                               emails=["Taro@Example.JP"], member_ids=["m-1"])
    view = lookup(session, phone="０３１２３４５６７８").customer
    assert view.id == customer.id
    assert view.values("phone") == ["+81312345678"]  # both spellings are one number
    assert view.values("email") == ["taro@example.jp"]
    assert view.values("member_id") == ["M-1"]


@pytest.mark.parametrize("phones, emails, field", [
    (["03 1234 5678"], [], "phones[0]"),
    (["090-2345-6789", "0081312345678"], [], "phones[1]"),
    ([], ["HANAKO@example.jp"], "emails[0]"),
])
def test_identity_owned_by_another_customer_is_a_conflict(session, phones, emails, field):
    first = create_customer(session, name="A", phones=["03-1234-5678"],
                            emails=["hanako@example.jp"])
    with pytest.raises(IdentityConflict) as err:
        create_customer(session, name="B", phones=phones, emails=emails)
    assert err.value.other_customer_id == first.id
    assert err.value.field == field
    assert f"#{first.id}" in str(err.value)


@pytest.mark.parametrize("given, kind, rule", [
    ({"phone": "03-1234-5678"}, "phone", "national format with region JP"),
    ({"phone": "0081312345678"}, "phone", "international prefix 00"),
    ({"phone": "+81312345678"}, "phone", "E.164"),
    ({"email": "TARO@example.jp"}, "email", "lower-cased address"),
    ({"member_id": "m-7"}, "member_id", "NFKC, trimmed, upper-cased"),
    ({"member_id": "m-7", "phone": "090-9999-9999"}, "member_id", "NFKC, trimmed, upper-cased"),
    ({"phone": "090-9999-9999", "email": "taro@example.jp"}, "email", "lower-cased address"),
])
def test_lookup_says_why_it_matched(session, given, kind, rule):
    customer = create_customer(session, name="Taro", phones=["+81312345678"],
                               emails=["taro@example.jp"], member_ids=["M-7"])
    match = lookup(session, **given)
    assert match.customer.id == customer.id
    raw = given[kind]
    assert match.matched_by == {"kind": kind, "input": raw,
                                "value": identity_key(kind, raw).value, "rule": rule}


@pytest.mark.parametrize("given", [
    {"phone": "anonymous"}, {"phone": "+266696687"}, {"phone": ""}, {"phone": "client:alice"},
    {"phone": "sip:bob@example.com"}, {"phone": "unknown"}, {"phone": "+"},
    {"phone": "090-1111-2222"}, {"email": "nobody@example.jp"}, {"email": "junk"}, {},
])
def test_lookup_misses_return_none(session, given):
    create_customer(session, name="Taro", phones=["+81312345678"], emails=["taro@example.jp"])
    assert lookup(session, **given) is None


@pytest.mark.parametrize("raw_from, known, phone, kind", [
    ("+81312345678", True, "+81312345678", "e164"),
    ("03-1234-5678", True, "+81312345678", "e164"),
    ("+819011112222", False, "+819011112222", "e164"),
    ("anonymous", False, None, "anonymous"),
    ("+266696687", False, None, "anonymous"),
    ("client:alice", False, None, "client"),
    ("sip:bob@example.com", False, None, "sip"),
    ("", False, None, "invalid"),
])
def test_caller_profile_round_trips_through_json(session, raw_from, known, phone, kind):
    customer = create_customer(session, name="Taro", phones=["03-1234-5678"])
    profile = caller_profile(session, raw_from, "JP")
    assert (profile.known, profile.phone, profile.phone_kind) == (known, phone, kind)
    assert profile.customer_id == (customer.id if known else None)
    assert profile.name == ("Taro" if known else None)
    again = CallerProfile.from_dict(json.loads(json.dumps(profile.to_dict())))
    assert again == profile


def test_sql_directory_satisfies_the_protocol(session):
    directory = SqlDirectory(session)
    assert isinstance(directory, CustomerDirectory)
    create_customer(session, name="Taro", phones=["03-1234-5678"])
    assert directory.lookup(phone="0312345678").customer.name == "Taro"


def test_identities_have_a_unique_index_on_kind_and_value(db):
    inspector = inspect(db.engine)
    uniques = [tuple(u["column_names"]) for u in inspector.get_unique_constraints(
        "customer_identities")]
    uniques += [tuple(i["column_names"]) for i in inspector.get_indexes("customer_identities")
                if i["unique"]]
    assert ("kind", "value") in uniques
