"""Writes composed/*.eml: Japanese mail as real mailers send it, encoded by hand with Python codecs.

Run once (`python make_composed.py`); the .eml files are committed so the tests read fixed bytes.
"""

from __future__ import annotations

import base64
import quopri
from pathlib import Path

OUT = Path(__file__).with_name("composed")
CRLF = b"\r\n"


def b_word(text: str, charset: str, codec: str) -> bytes:
    """An RFC 2047 encoded-word (B encoding)."""
    return b"=?" + charset.encode() + b"?B?" + base64.b64encode(text.encode(codec)) + b"?="


def q_word(text: str, charset: str, codec: str) -> bytes:
    """An RFC 2047 encoded-word (Q encoding)."""
    encoded = quopri.encodestring(text.encode(codec), header=True).replace(b"=\n", b"")
    return b"=?" + charset.encode() + b"?Q?" + encoded.replace(b"?", b"=3F") + b"?="


def headers(*lines: bytes) -> bytes:
    return CRLF.join(lines) + CRLF + CRLF


def b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", CRLF)


def messages() -> dict[str, bytes]:
    body_jis = "お世話になっております。\n請求書がまだ届いておりません。\n山田".replace("\n", "\r\n")
    sjis_text = "①番の商品について、髙橋が対応をお願いします。\r\n"
    euc_text = "配送日を変更したいです。\n電話番号は 090-1234-5678 です。\n"
    utf8_text = "ご返信ありがとうございます。了解しました。\r\n"
    html = ("<html><head><style>p{color:red}</style></head><body><p>ご注文&amp;お支払い"
            "</p><p>確認しました。<br>よろしくお願いします。</p><script>x()</script></body></html>")
    return {
        "jp_iso2022jp.eml": headers(
            b"From: " + b_word("山田 太郎", "ISO-2022-JP", "iso2022_jp") + b" <Yamada@Example.JP>",
            b"To: support@example.com",
            b"Subject: " + b_word("請求書について", "ISO-2022-JP", "iso2022_jp"),
            b"Date: Mon, 03 Jun 2024 09:00:00 +0900",
            b"Message-ID: <jp-iso2022@example.jp>",
            b"MIME-Version: 1.0",
            b"Content-Type: text/plain; charset=ISO-2022-JP",
            b"Content-Transfer-Encoding: 7bit") + body_jis.encode("iso2022_jp") + CRLF,
        "jp_shift_jis_base64.eml": headers(
            b"From: " + b_word("髙橋", "Shift_JIS", "cp932") + b" <takahashi@example.jp>",
            b"Subject: " + b_word("①番の件", "Shift_JIS", "cp932"),
            b"Message-ID: <jp-sjis@example.jp>",
            b"MIME-Version: 1.0",
            b"Content-Type: text/plain; charset=Shift_JIS",
            b"Content-Transfer-Encoding: base64") + b64(sjis_text.encode("cp932")),
        "jp_euc_jp_qp.eml": headers(
            b"From: sato@example.jp",
            b"Subject: " + q_word("配送日の変更", "EUC-JP", "euc_jp"),
            b"Message-ID: <jp-euc@example.jp>",
            b"MIME-Version: 1.0",
            b"Content-Type: text/plain; charset=EUC-JP",
            b"Content-Transfer-Encoding: quoted-printable")
        + quopri.encodestring(euc_text.encode("euc_jp")).replace(b"\n", CRLF),
        "jp_utf8_alternative.eml": headers(
            b"From: =?UTF-8?B?" + base64.b64encode("山田 太郎".encode()) + b"?= <yamada@example.jp>",
            b"Subject: Re: " + b_word("請求書について", "UTF-8", "utf-8"),
            b"Message-ID: <jp-utf8-reply@example.jp>",
            b"In-Reply-To: <jp-iso2022@example.jp>",
            b"References: <jp-iso2022@example.jp>",
            b"MIME-Version: 1.0",
            b'Content-Type: multipart/alternative; boundary="ALT"')
        + b"--ALT" + CRLF + headers(b"Content-Type: text/plain; charset=UTF-8",
                                    b"Content-Transfer-Encoding: base64")
        + b64(utf8_text.encode()) + b"--ALT" + CRLF
        + headers(b"Content-Type: text/html; charset=UTF-8",
                  b"Content-Transfer-Encoding: quoted-printable")
        + quopri.encodestring(f"<p>{utf8_text}</p>".encode()).replace(b"\n", CRLF) + CRLF
        + b"--ALT--" + CRLF,
        "jp_html_only_sjis.eml": headers(
            b"From: Suzuki <suzuki@example.jp>",
            b"Subject: " + b_word("注文確認", "Shift_JIS", "cp932"),
            b"Message-ID: <jp-html@example.jp>",
            b"MIME-Version: 1.0",
            b'Content-Type: text/html; charset="Shift_JIS"',
            b"Content-Transfer-Encoding: 8bit") + html.encode("cp932") + CRLF,
        "jp_attachments.eml": headers(
            b"From: yamada@example.jp",
            b"Subject: " + b_word("見積書を送ります", "ISO-2022-JP", "iso2022_jp"),
            b"Message-ID: <jp-attach@example.jp>",
            b"MIME-Version: 1.0",
            b'Content-Type: multipart/mixed; boundary="MIX"')
        + b"--MIX" + CRLF + headers(b"Content-Type: text/plain; charset=ISO-2022-JP")
        + "見積書を添付します。".encode("iso2022_jp") + CRLF
        + b"--MIX" + CRLF + headers(
            b"Content-Type: application/pdf",
            b"Content-Disposition: attachment; filename*=UTF-8''%E8%A6%8B%E7%A9%8D.pdf",
            b"Content-Transfer-Encoding: base64") + b64(b"%PDF-1.4 fake quote\n")
        + b"--MIX" + CRLF + headers(
            b'Content-Type: text/plain; name="' + b_word("メモ.txt", "ISO-2022-JP", "iso2022_jp")
            + b'"',
            b'Content-Disposition: attachment; filename="'
            + b_word("メモ.txt", "ISO-2022-JP", "iso2022_jp") + b'"',
            b"Content-Transfer-Encoding: base64") + b64("メモです".encode("cp932"))
        + b"--MIX" + CRLF + headers(
            b"Content-Type: application/octet-stream",
            b'Content-Disposition: attachment; filename="../../etc/passwd"',
            b"Content-Transfer-Encoding: base64") + b64(b"root:x:0:0")
        + b"--MIX--" + CRLF,
        "jp_raw_8bit_headers.eml": headers(
            b"From: " + "佐藤".encode("cp932") + b" <sato@example.jp>",
            b"Subject: " + "至急：返品について".encode("cp932"),
            b"Message-ID: <jp-raw8bit@example.jp>",
            b"Content-Type: text/plain",
            b"Content-Transfer-Encoding: 8bit") + "返品をお願いします。".encode("cp932") + CRLF,
        "bad_no_from.eml": headers(b"To: support@example.com", b"Subject: no sender")
        + b"hello" + CRLF,
        "bad_from_without_address.eml": headers(b"From: undisclosed-recipients:;",
                                                b"Subject: x") + b"hello" + CRLF,
        "bad_binary.eml": bytes(range(256)) * 4,
    }


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    for name, data in messages().items():
        (OUT / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")
