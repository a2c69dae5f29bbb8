"""LocalStorage: safe keys, atomic durable writes, and real write failures reported as transient."""

from __future__ import annotations

import errno
import io
import json
import os
import resource
import signal
import tempfile
from pathlib import Path

import pytest

from voicemail.storage import TEMP_PREFIX, InvalidKeyError, LocalStorage, RecordingNotFoundError, StorageError

NOBODY = 65534


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(tmp_path / "recordings")


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob(f"{TEMP_PREFIX}*")]


@pytest.mark.parametrize("key", ["RE1.wav", "calls/2024/06/RE1.wav", "a-b_c.D.mp3", "x" * 255,
                                 "/".join(["y" * 255, "z" * 255])])
def test_put_open_exists_delete_round_trip(storage, key):
    assert not storage.exists(key)
    assert storage.put(key, io.BytesIO(b"RIFF-data")) == 9
    assert storage.exists(key)
    with storage.open(key) as stored:
        assert (stored.size, stored.stream.read()) == (9, b"RIFF-data")
        stored.stream.seek(5)
        assert stored.stream.read(2) == b"da"  # seekable: what HTTP Range serving needs
    assert storage.local_path(key) == storage.root / key
    assert storage.delete(key) is True
    assert storage.delete(key) is False and not storage.exists(key)


def test_put_from_a_file_path(storage, tmp_path):
    source = tmp_path / "download.tmp"
    source.write_bytes(b"\x00\x01" * 70000)
    assert storage.put("RE2.wav", source) == 140000
    assert storage.local_path("RE2.wav").read_bytes() == source.read_bytes()


def test_opening_a_missing_recording_is_permanent(storage):
    with pytest.raises(RecordingNotFoundError, match="No recording is stored under 'RE404.wav'") as e:
        storage.open("RE404.wav")
    assert e.value.permanent


@pytest.mark.parametrize("key", [
    "", "../escape.wav", "calls/../../escape.wav", "/etc/passwd", "calls//RE1.wav", "calls/", ".hidden",
    "calls/.tmp-x", "./RE1.wav", "calls\\RE1.wav", "RE 1.wav", "récording.wav", "C:RE1.wav", "RE1.wav\0",
    "x" * 256, "/".join(["y" * 255, "z" * 255, "w"]),
])
def test_unsafe_keys_are_refused_and_nothing_is_written(storage, key):
    with pytest.raises(InvalidKeyError, match="is not allowed") as e:
        storage.put(key, io.BytesIO(b"x"))
    assert e.value.permanent
    assert not storage.root.exists() or not any(storage.root.rglob("*"))
    with pytest.raises(InvalidKeyError):
        storage.open(key)


def test_symlinks_cannot_lead_out_of_the_root(storage, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    storage.root.mkdir()
    (storage.root / "calls").symlink_to(outside)
    with pytest.raises(InvalidKeyError, match="resolves outside"):
        storage.put("calls/RE1.wav", io.BytesIO(b"x"))
    assert not any(outside.iterdir())


def test_overwrite_is_atomic_for_readers_and_leaves_no_temporary_files(storage):
    storage.put("RE1.wav", io.BytesIO(b"old" * 1000))
    with storage.open("RE1.wav") as reader:
        storage.put("RE1.wav", io.BytesIO(b"new" * 2000))
        assert reader.stream.read() == b"old" * 1000  # the open file is the old inode, untouched
    assert storage.local_path("RE1.wav").read_bytes() == b"new" * 2000
    assert leftovers(storage.root) == []


def in_child(action) -> dict:
    """Run action() in a forked child (to change rlimits or drop root) and return its JSON result."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(read)
        try:
            result = action()
        except StorageError as exc:
            result = {"error": str(exc), "permanent": exc.permanent, "errno": exc.__cause__.errno}
        os.write(write, json.dumps(result).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        output = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(output)


def test_a_write_cut_short_keeps_the_old_recording_and_is_transient(storage):
    """RLIMIT_FSIZE makes the kernel refuse the write (EFBIG), as a full disk would with ENOSPC."""
    storage.put("RE1.wav", io.BytesIO(b"old"))

    def write_big():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, resource.RLIM_INFINITY))
        storage.put("RE1.wav", io.BytesIO(b"\0" * (1 << 20)))
        return {"error": None}

    result = in_child(write_big)
    assert result["errno"] == errno.EFBIG and result["permanent"] is False
    assert "could not be saved" in result["error"] and "File too large" in result["error"]
    assert storage.local_path("RE1.wav").read_bytes() == b"old"
    assert leftovers(storage.root) == []


def test_an_unwritable_folder_is_a_transient_error():
    """As nobody, a root-owned folder really refuses writes (root itself would bypass chmod)."""
    base = Path(tempfile.mkdtemp(prefix="storage-acl-"))
    try:
        base.chmod(0o755)
        (base / "recordings").mkdir(mode=0o755)
        storage = LocalStorage(base / "recordings")

        def write_as_nobody():
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            storage.put("calls/RE1.wav", io.BytesIO(b"x"))
            return {"error": None}

        result = in_child(write_as_nobody)
        assert result["errno"] == errno.EACCES and result["permanent"] is False
        assert "Permission denied" in result["error"]
    finally:
        for path in sorted(base.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        base.rmdir()


def test_a_root_under_a_regular_file_is_a_transient_error(tmp_path):
    (tmp_path / "not-a-folder").write_text("x")
    with pytest.raises(StorageError, match="could not be saved .*Not a directory") as e:
        LocalStorage(tmp_path / "not-a-folder" / "recordings").put("RE1.wav", io.BytesIO(b"x"))
    assert e.value.permanent is False
