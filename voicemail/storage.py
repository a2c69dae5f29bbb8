"""Where recordings live: a storage protocol (local disk now, S3-compatible later) and LocalStorage.

Keys are relative, slash-separated names such as "recordings/2024/RE123.wav". Writes are atomic
(temporary file in the target folder, fsync, rename, fsync of the folder), so a reader never sees a
half-written recording and a crash leaves either the old file or the new one.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from voicemail.errors import VoicemailError

# Segments may not start with "." (no ".", "..", hidden or temporary names); no empty segments.
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(?:/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")
MAX_KEY_LENGTH = 512
MAX_PART_LENGTH = 255  # NAME_MAX on common filesystems: longer names fail (ENAMETOOLONG) forever
COPY_BYTES = 1 << 20
TEMP_PREFIX = ".tmp-"


class StorageError(VoicemailError):
    """Base of storage errors; `permanent` is False when a retry later may succeed (disk full, EACCES)."""

    permanent: bool = False

    def __init__(self, message: str, *, permanent: bool | None = None):
        super().__init__(message)
        if permanent is not None:
            self.permanent = permanent


class InvalidKeyError(StorageError):
    """The key could escape the storage root or contains characters outside [A-Za-z0-9._/-]."""

    permanent = True


class RecordingNotFoundError(StorageError):
    """Nothing is stored under the key."""

    permanent = True


@dataclass
class StoredRecording:
    """An open, seekable recording and its size in bytes (what HTTP Range serving needs)."""

    stream: BinaryIO
    size: int

    def close(self) -> None:
        self.stream.close()

    def __enter__(self) -> StoredRecording:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class RecordingStorage(Protocol):
    """What the voicemail and transcription code needs from any recording store."""

    def put(self, key: str, source: BinaryIO | str | Path) -> int:
        """Store a file object's remaining bytes (or a file's bytes) under key; returns the size."""

    def open(self, key: str) -> StoredRecording:
        """Open the recording for reading, with its size."""

    def exists(self, key: str) -> bool:
        """Whether something is stored under key."""

    def delete(self, key: str) -> bool:
        """Remove the recording; False when there was nothing to remove."""

    def local_path(self, key: str) -> Path | None:
        """A filesystem path for tools like ffmpeg, or None when the backend keeps no local files."""


def validate_key(key: str) -> str:
    """Return key unchanged if it is a safe relative name, else raise InvalidKeyError."""
    if (not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH or not KEY_PATTERN.fullmatch(key)
            or max(len(part) for part in key.split("/")) > MAX_PART_LENGTH):
        raise InvalidKeyError(f"The storage key {key!r} is not allowed: use up to {MAX_KEY_LENGTH} "
                              "characters of A-Z a-z 0-9 . _ - in /-separated parts of 1-255 characters, "
                              "none starting with '.'.")
    return key


class LocalStorage:
    """Recordings as files under one root folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path_for(self, key: str) -> Path:
        """The file for key, refusing anything that would resolve outside the root (e.g. via symlinks)."""
        path = self.root / validate_key(key)
        root = self.root.resolve()
        if root not in path.resolve().parents:
            raise InvalidKeyError(f"The storage key {key!r} resolves outside {self.root}.")
        return path

    def put(self, key: str, source: BinaryIO | str | Path) -> int:
        path = self.path_for(key)
        if isinstance(source, (str, Path)):
            with open(source, "rb") as stream:
                return self._write(key, path, stream)
        return self._write(key, path, source)

    def _write(self, key: str, path: Path, stream: BinaryIO) -> int:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as out:
                    size = _copy(stream, out)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
            _fsync_dir(path.parent)
        except OSError as exc:
            raise StorageError(f"The recording {key!r} could not be saved under {self.root} "
                               f"({exc.strerror or exc}); it will be retried.") from exc
        return size

    def open(self, key: str) -> StoredRecording:
        path = self.path_for(key)
        try:
            stream = path.open("rb")
        except FileNotFoundError:
            raise RecordingNotFoundError(f"No recording is stored under {key!r}.") from None
        except OSError as exc:
            raise StorageError(f"The recording {key!r} could not be opened ({exc.strerror}).") from exc
        return StoredRecording(stream=stream, size=os.fstat(stream.fileno()).st_size)

    def exists(self, key: str) -> bool:
        return self.path_for(key).is_file()

    def delete(self, key: str) -> bool:
        path = self.path_for(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StorageError(f"The recording {key!r} could not be deleted ({exc.strerror}).") from exc
        return True

    def local_path(self, key: str) -> Path:
        return self.path_for(key)


def _copy(source: BinaryIO, target: BinaryIO) -> int:
    size = 0
    while chunk := source.read(COPY_BYTES):
        target.write(chunk)
        size += len(chunk)
    return size


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
