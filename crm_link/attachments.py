"""Attachment files on disk under settings.data_dir/attachments, named by us, never by the sender."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import secrets
import unicodedata
from pathlib import Path

from crm_link.errors import NotFound

KEY = re.compile(r"^[0-9a-f]{32}\.[a-z0-9]{1,10}$")
SAFE_EXT = re.compile(r"^\.[a-z0-9]{1,10}$")
URL_PREFIX = "/api/attachments/"


class AttachmentStore:
    """Write-once files; the key (random hex + a safe extension) is the only name on disk."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def save(self, data: bytes, filename: str | None, content_type: str) -> dict:
        """Store the bytes; the returned dict goes into the interaction's attachments list."""
        key = secrets.token_hex(16) + _extension(filename, content_type)
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(path.suffix + ".part")
        temporary.write_bytes(data)
        os.replace(temporary, path)
        return {"kind": "file", "key": key, "filename": display_name(filename),
                "content_type": content_type, "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(), "url": URL_PREFIX + key}

    def path_for(self, key: str) -> Path:
        """The file of a key; NotFound for anything that is not a stored key."""
        if not KEY.match(key):
            raise NotFound(f"{key!r} is not an attachment key.", field="key")
        path = self._path(key)
        if not path.is_file():
            raise NotFound(f"There is no attachment {key!r}.", field="key")
        return path

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key


def display_name(filename: str | None) -> str | None:
    """The sender's file name for display only: no directories, no control characters."""
    if not filename:
        return None
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:200] or None


def _extension(filename: str | None, content_type: str) -> str:
    suffix = Path(display_name(filename) or "").suffix.lower()
    if SAFE_EXT.match(suffix):
        return suffix
    guessed = mimetypes.guess_extension(content_type or "") or ".bin"
    return guessed if SAFE_EXT.match(guessed) else ".bin"
