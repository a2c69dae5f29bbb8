"""Bytes to text the way Japanese mail needs: declared charsets read as their real-world supersets."""

from __future__ import annotations

import codecs
import email.header
import re

# Labels mail software writes, mapped to the codec that decodes what they really send
# (Windows mailers label CP932 as Shift_JIS, NEC/IBM extensions included).
SUPERSETS = {
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
    "windows-31j": "cp932", "ms_kanji": "cp932", "csshiftjis": "cp932",
    "euc-jp": "euc_jis_2004", "x-euc-jp": "euc_jis_2004", "eucjp": "euc_jis_2004",
    "iso-2022-jp": "iso2022_jp_ext", "csiso2022jp": "iso2022_jp_ext",
    "iso-8859-1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252",
    "gb2312": "gb18030", "gbk": "gb18030", "ks_c_5601-1987": "cp949", "euc-kr": "cp949",
}
# Second tries for a label whose superset still fails (e.g. ISO-2022-JP carrying JIS X 0213).
FALLBACKS = {"iso2022_jp_ext": ("iso2022_jp_2", "iso2022_jp_2004")}
# Unlabelled 8-bit text: the candidate yielding the most Japanese characters wins.
GUESSES = ("utf-8", "iso2022_jp_ext", "cp932", "euc_jis_2004", "cp1252")
JAPANESE = re.compile("[\u3040-\u30ff\u4e00-\u9fff\uff66-\uff9f]")


def decode_bytes(data: bytes, declared: str | None) -> tuple[str, str]:
    """The text and the codec that produced it; never raises, replacement characters last."""
    label = (declared or "").strip().strip('"').lower()
    codec = SUPERSETS.get(label, label)
    if codec and _known(codec):
        for candidate in (codec, *FALLBACKS.get(codec, ())):
            try:
                return data.decode(candidate), candidate
            except UnicodeDecodeError:
                continue
    guessed = guess(data)
    if guessed is not None:
        return guessed
    fallback = codec if codec and _known(codec) else "utf-8"
    return data.decode(fallback, errors="replace"), f"{fallback} (with replacements)"


def guess(data: bytes) -> tuple[str, str] | None:
    """Best strict decoding of unlabelled bytes, preferring UTF-8 and then Japanese readings."""
    if not data:
        return "", "ascii"
    best: tuple[int, str, str] | None = None
    for codec in GUESSES:
        if codec.startswith("iso2022") and b"\x1b" not in data:
            continue
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if codec == "utf-8":
            return text, codec
        score = len(JAPANESE.findall(text))
        if best is None or score > best[0]:
            best = (score, text, codec)
    return (best[1], best[2]) if best is not None else None


def recover_header(value: str) -> str:
    """A header that arrived as raw 8-bit bytes (no RFC 2047), decoded by guessing the charset."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    data = value.encode("utf-8", errors="surrogateescape")
    guessed = guess(data)
    return guessed[0] if guessed is not None else data.decode("utf-8", errors="replace")


def decode_words(raw: str) -> str:
    """A header's RFC 2047 encoded-words decoded with the superset codecs (Shift_JIS as CP932)."""
    unfolded = re.sub(r"\r?\n[ \t]", " ", raw)
    if "=?" not in unfolded:
        return recover_header(unfolded)
    out = []
    for chunk, charset in email.header.decode_header(unfolded):
        out.append(chunk if isinstance(chunk, str) else decode_bytes(chunk, charset)[0])
    return "".join(out)


def _known(codec: str) -> bool:
    try:
        codecs.lookup(codec)
    except LookupError:
        return False
    return True
