"""Real-world mail (CPython's corpus and composed Japanese messages) parsed and filed via the API."""

from pathlib import Path

import pytest

from crm_link.charsets import decode_bytes
from crm_link.errors import MalformedEmail
from crm_link.mail import parse_email
from crm_link.models import Interaction, RejectedMessage
from tests.crm_link.crm_helpers import count

CORPUS = Path(__file__).with_name("email_corpus")
RFC822 = {"Content-Type": "message/rfc822"}


def raw(name: str) -> bytes:
    folder = "cpython" if name.startswith("msg_") else "composed"
    return (CORPUS / folder / name).read_bytes()


@pytest.mark.parametrize("name, sender, subject, text, attachments", [
    ("msg_02.txt", "ppp-request@zzz.org", "Ppp digest, Vol 1 #2 - 5 msgs",
     "Send Ppp mailing list submissions to", ["message/rfc822"] * 5),
    ("msg_06.txt", "barry@python.org", "forwarded message from Barry A. Warsaw", "",
     ["message/rfc822"]),
    ("msg_10.txt", "barry@python.org", "Lyrics", "¡This is a Quoted Printable encoded message!",
     []),
    ("msg_10.txt", "barry@python.org", "Lyrics", "This is a Base64 encoded message.", []),
    ("msg_15.txt", "xx@xx.dk", "XX", "Some removed test.", []),
    ("msg_35.txt", "aperson@dom.ain", "here's something interesting",
     "there's no separating newline here", []),
    ("msg_44.txt", "barry@python.org", "a simple multipart", "a simple kind of mirror", []),
    ("msg_47.txt", "123@example.com", "VIARGA|CIALIS|LEVITRA", "PHARRMACY", []),
    ("msg_48.txt", "foo@bar.baz", "test", "This is the signed contents.",
     ["application/pgp-signature"]),
    ("jp_iso2022jp.eml", "Yamada@Example.JP", "請求書について", "請求書がまだ届いておりません。",
     []),
    ("jp_shift_jis_base64.eml", "takahashi@example.jp", "①番の件",
     "①番の商品について、髙橋が対応をお願いします。", []),
    ("jp_euc_jp_qp.eml", "sato@example.jp", "配送日の変更", "電話番号は 090-1234-5678 です。",
     []),
    ("jp_utf8_alternative.eml", "yamada@example.jp", "Re: 請求書について",
     "ご返信ありがとうございます。", []),
    ("jp_html_only_sjis.eml", "suzuki@example.jp", "注文確認",
     "ご注文&お支払い\n\n確認しました。\nよろしくお願いします。", []),
    ("jp_attachments.eml", "yamada@example.jp", "見積書を送ります", "見積書を添付します。",
     ["application/pdf", "text/plain", "application/octet-stream"]),
    ("jp_raw_8bit_headers.eml", "sato@example.jp", "至急：返品について", "返品をお願いします。",
     []),
])
def test_corpus_messages_parse_to_readable_text(name, sender, subject, text, attachments):
    parsed = parse_email(raw(name))
    assert (parsed.sender, parsed.subject) == (sender, subject)
    assert text in parsed.text
    assert "\ufffd" not in parsed.text + (parsed.subject or "")
    assert [a.content_type for a in parsed.attachments] == attachments
    assert parsed.message_id.startswith("<") and parsed.message_id.endswith(">")


@pytest.mark.parametrize("name, display_name", [
    ("jp_iso2022jp.eml", "山田 太郎"), ("jp_shift_jis_base64.eml", "髙橋"),
    ("jp_raw_8bit_headers.eml", "佐藤"), ("jp_utf8_alternative.eml", "山田 太郎"),
    ("msg_10.txt", "Barry Warsaw"), ("jp_euc_jp_qp.eml", None),
])
def test_sender_names_are_decoded(name, display_name):
    assert parse_email(raw(name)).sender_name == display_name


@pytest.mark.parametrize("name, defect", [
    ("msg_35.txt", "MissingHeaderBodySeparatorDefect"),
    ("msg_15.txt", "StartBoundaryNotFoundDefect"),
])
def test_parser_complaints_are_kept_in_metadata(name, defect):
    assert defect in parse_email(raw(name)).metadata()["defects"]


@pytest.mark.parametrize("data, reason", [
    (b"", "empty"), (b"   \r\n", "empty"),
    (raw("bad_no_from.eml"), "no usable From address"),
    (raw("bad_from_without_address.eml"), "undisclosed-recipients"),
    (raw("bad_binary.eml"), "no header fields"),
])
def test_unfileable_mail_is_refused_with_a_reason(data, reason):
    with pytest.raises(MalformedEmail, match=reason):
        parse_email(data)


@pytest.mark.parametrize("data, declared, text, codec", [
    ("髙橋①".encode("cp932"), "Shift_JIS", "髙橋①", "cp932"),
    ("髙橋①".encode("cp932"), None, "髙橋①", "cp932"),
    ("日本語".encode("euc_jp"), "EUC-JP", "日本語", "euc_jis_2004"),
    ("日本語".encode("euc_jp"), None, "日本語", "euc_jis_2004"),
    ("日本語".encode("iso2022_jp"), "iso-2022-jp", "日本語", "iso2022_jp_ext"),
    ("①".encode("iso2022_jp_2004"), "ISO-2022-JP", "①", "iso2022_jp_2004"),
    ("naïve".encode(), "no-such-charset", "naïve", "utf-8"),
    (b"caf\xe9", "utf-8", "café", "cp1252"),
])
def test_charsets_decode_as_their_real_world_supersets(data, declared, text, codec):
    assert decode_bytes(data, declared) == (text, codec)


def test_inbound_email_files_threads_and_keeps_attachments(client, api_headers, settings, db):
    first = client.post("/api/email/inbound", data=raw("jp_iso2022jp.eml"),
                        headers={**api_headers, **RFC822})
    assert first.status_code == 201, first.get_json()
    reply = client.post("/api/email/inbound", data=raw("jp_utf8_alternative.eml"),
                        headers={**api_headers, **RFC822})
    body, again = reply.get_json(), first.get_json()
    assert body["ticket_id"] == again["ticket_id"]
    assert body["customer_id"] == again["customer_id"]
    assert body["thread_reason"] == "email reply: In-Reply-To <jp-iso2022@example.jp>"
    lookup = client.get("/api/customers/lookup?email=YAMADA@example.jp", headers=api_headers)
    assert lookup.get_json()["customer"]["name"] == "山田 太郎"

    attached = client.post("/api/email/inbound", data=raw("jp_attachments.eml"),
                           headers={**api_headers, **RFC822}).get_json()
    with db.session() as session:
        files = session.get(Interaction, attached["interaction_id"]).attachments
    assert [f["filename"] for f in files] == ["見積.pdf", "メモ.txt", "passwd"]
    assert [f["key"].rsplit(".", 1)[1] for f in files] == ["pdf", "txt", "bin"]
    stored = sorted(p.name for p in (settings.data_dir / "attachments").rglob("*") if p.is_file())
    assert stored == sorted(f["key"] for f in files)
    download = client.get(files[0]["url"], headers=api_headers)
    assert download.status_code == 200
    assert download.data == b"%PDF-1.4 fake quote\n"
    assert download.headers["Content-Type"] == "application/octet-stream"


def test_same_message_twice_is_stored_once(client, api_headers, db):
    one = client.post("/api/email/inbound", data=raw("jp_attachments.eml"),
                      headers={**api_headers, **RFC822})
    two = client.post("/api/email/inbound", data=raw("jp_attachments.eml"),
                      headers={**api_headers, **RFC822})
    assert (one.status_code, two.status_code) == (201, 200)
    assert one.get_json()["interaction_id"] == two.get_json()["interaction_id"]
    assert two.get_json()["duplicate"] is True
    with db.session() as session:
        assert count(session, Interaction) == 1


@pytest.mark.parametrize("name", ["bad_no_from.eml", "bad_from_without_address.eml",
                                  "bad_binary.eml"])
def test_malformed_mail_is_a_422_and_kept_for_inspection(client, api_headers, db, name):
    response = client.post("/api/email/inbound", data=raw(name),
                           headers={**api_headers, **RFC822})
    body = response.get_json()
    assert response.status_code == 422
    assert body["field"] == "body" and f"#{body['rejected_id']}" in body["error"]
    with db.session() as session:
        kept = session.get(RejectedMessage, body["rejected_id"])
        assert kept.raw == raw(name)
        assert kept.reason in body["error"]


def test_every_corpus_message_is_accepted_or_rejected_never_a_500(client, api_headers):
    for path in sorted(CORPUS.glob("*/*")):
        if path.suffix in (".txt", ".eml"):
            response = client.post("/api/email/inbound", data=path.read_bytes(),
                                   headers={**api_headers, **RFC822})
            assert response.status_code in (200, 201, 422), (path.name, response.get_json())


@pytest.mark.parametrize("headers, status", [
    ({"Content-Type": "text/plain"}, 415), ({}, 415),
])
def test_inbound_needs_the_rfc822_content_type(client, api_headers, headers, status):
    response = client.post("/api/email/inbound", data=raw("msg_10.txt"),
                           headers={**api_headers, **headers})
    assert response.status_code == status
    assert response.get_json()["field"] == "Content-Type"


def test_large_mail_passes_the_app_wide_limit_but_not_the_route_limit(client, api_headers):
    big = (b"From: a@example.jp\r\nSubject: big\r\nMessage-ID: <big@x>\r\n\r\n"
           + b"x" * (3 * 1024 * 1024))  # over the app-wide 2 MB
    assert client.post("/api/email/inbound", data=big,
                       headers={**api_headers, **RFC822}).status_code == 201
    too_big = big + b"x" * (25 * 1024 * 1024)
    response = client.post("/api/email/inbound", data=too_big,
                           headers={**api_headers, **RFC822})
    assert response.status_code == 413
    assert "larger than" in response.get_json()["error"]
    # Other routes keep the 2 MB limit.
    response = client.post("/api/messages", data=b"{" + b" " * (3 * 1024 * 1024) + b"}",
                           headers={**api_headers, "Content-Type": "application/json"})
    assert response.status_code == 413
