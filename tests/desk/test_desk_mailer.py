"""Outbound mail: UTF-8 Japanese messages, threading headers, real SMTP delivery, clear errors."""

from __future__ import annotations

import pytest

from desk.mailer import (
    MailError,
    MailNotConfigured,
    OutboundMail,
    SmtpMailer,
    build_message,
    parse_smtp_url,
)

JA_TEXT = "山田花子様\n\nお問い合わせありがとうございます。本日発送いたしました。"


def test_a_japanese_reply_reaches_the_smtp_server_and_decodes_back(smtp_server):
    mailer = SmtpMailer(smtp_server.url, "ABCストア サポート <support@abc.example.jp>")
    msg = build_message(OutboundMail(to="hanako.yamada@example.jp", subject="Re: 注文した商品が届きません",
                                     text=JA_TEXT, in_reply_to="<demo-1@example.jp>"),
                        mailer.sender)
    mailer.send(msg)
    [envelope] = smtp_server.sink.envelopes
    assert envelope.rcpt_tos == ["hanako.yamada@example.jp"]
    assert envelope.mail_from == "support@abc.example.jp"
    raw = envelope.content
    assert raw.isascii()                        # headers and body travel 7-bit safe
    assert b"=?utf-8?" in raw.lower()           # RFC 2047 encoded-words in the headers
    [received] = smtp_server.sink.messages()
    assert received["Subject"] == "Re: 注文した商品が届きません"
    assert received["From"].addresses[0].display_name == "ABCストア サポート"
    assert received["In-Reply-To"] == "<demo-1@example.jp>"
    assert received["References"] == "<demo-1@example.jp>"
    assert received.get_content_charset() == "utf-8"
    assert received.get_content().replace("\r\n", "\n").rstrip("\n") == JA_TEXT  # CRLF on the wire


@pytest.mark.parametrize("url, host, port, tls, user, password", [
    ("smtp://mail.example.jp", "mail.example.jp", 25, False, None, None),
    ("smtp://u%40x:p%3Aw@mail.example.jp:587", "mail.example.jp", 587, False, "u@x", "p:w"),
    ("smtps://mail.example.jp", "mail.example.jp", 465, True, None, None),
])
def test_smtp_urls(url, host, port, tls, user, password):
    target = parse_smtp_url(url)
    assert (target.host, target.port, target.implicit_tls) == (host, port, tls)
    assert (target.username, target.password) == (user, password)


def test_bad_settings_are_named_and_passwords_masked():
    with pytest.raises(MailNotConfigured, match="SMTP_URL must look like"):
        parse_smtp_url("http://user:secret@mail.example.jp")
    with pytest.raises(MailNotConfigured) as caught:
        parse_smtp_url("ftp://user:secret@host")
    assert "secret" not in str(caught.value)
    with pytest.raises(MailNotConfigured, match="SMTP_URL .* and SMTP_FROM"):
        SmtpMailer("", "")
    with pytest.raises(MailNotConfigured, match="SMTP_FROM must be an address"):
        build_message(OutboundMail("a@example.jp", "s", "t"), "no address here")
    with pytest.raises(MailError, match="'nobody' is not an email address"):
        build_message(OutboundMail("nobody", "s", "t"), "support@example.jp")


def test_an_unreachable_server_is_a_mail_error_naming_it():
    mailer = SmtpMailer("smtp://127.0.0.1:1", "support@example.jp")
    msg = build_message(OutboundMail("a@example.jp", "s", "t"), mailer.sender)
    with pytest.raises(MailError, match="127.0.0.1:1 did not accept"):
        mailer.send(msg)
