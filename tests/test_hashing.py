"""Content hashing with the stat cache: no re-read of unchanged files, racily-clean re-hash, streaming."""

from __future__ import annotations

import os
import time
from pathlib import Path

import xxhash

from agentmake.plan.hashing import CHUNK, Hasher, hash_bytes, hash_path
from agentmake.store import FileRecord, Store

OLD = 1_600_000_000_000_000_000  # an mtime long ago (ns): records made now are not racily clean


def _write(root: Path, name: str, data: bytes, mtime_ns: int | None = OLD) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def _session(root: Path) -> Hasher:
    """A hasher over a freshly opened store (like a new agentmake process); caller flushes/closes."""
    return Hasher(root, Store.open(root))


def _close(h: Hasher) -> None:
    h.flush()
    assert h.store is not None
    h.store.close()


def test_digests_are_xxh3_128_small_and_streamed(tmp_path: Path) -> None:
    small = b"hello world"
    big = os.urandom(CHUNK * 3 + 12345)
    assert hash_bytes(small) == xxhash.xxh3_128_hexdigest(small)
    assert hash_path(_write(tmp_path, "s", small)) == hash_bytes(small)
    assert hash_path(_write(tmp_path, "b", big)) == hash_bytes(big)
    assert hash_path(_write(tmp_path, "exact", big[:CHUNK])) == hash_bytes(big[:CHUNK])
    assert len(hash_bytes(b"")) == 32


def test_unchanged_file_is_not_read_again(tmp_path: Path) -> None:
    _write(tmp_path, "docs/a.md", b"alpha")
    h = _session(tmp_path)
    assert h.file_hash("docs/a.md") == hash_bytes(b"alpha")
    assert h.files_read == 1
    _close(h)
    h = _session(tmp_path)
    assert h.file_hash("docs/a.md") == hash_bytes(b"alpha")
    assert (h.files_read, h.stat_hits) == (0, 1)
    _close(h)


def test_touch_rereads_once_and_keeps_hash(tmp_path: Path) -> None:
    _write(tmp_path, "a", b"alpha")
    h = _session(tmp_path)
    first = h.file_hash("a")
    _close(h)
    os.utime(tmp_path / "a", ns=(OLD + 10**9, OLD + 10**9))  # touch, same content
    h = _session(tmp_path)
    assert h.file_hash("a") == first
    assert h.files_read == 1
    _close(h)
    h = _session(tmp_path)
    assert h.file_hash("a") == first
    assert h.files_read == 0
    _close(h)


def test_changed_content_same_size_new_mtime_is_seen(tmp_path: Path) -> None:
    _write(tmp_path, "a", b"alpha")
    h = _session(tmp_path)
    h.file_hash("a")
    _close(h)
    _write(tmp_path, "a", b"omega", mtime_ns=OLD + 5)
    h = _session(tmp_path)
    assert h.file_hash("a") == hash_bytes(b"omega")
    _close(h)


def test_the_racy_margin_follows_the_timestamp_granularity(tmp_path: Path) -> None:
    """Half a second old is settled for a fine-grained mtime (sub-millisecond digits: the filesystem's clock
    ticks in milliseconds) but racily clean for a whole-second one (FAT, HFS+: a tick can last 2 s)."""
    now = time.time_ns()
    fine = now - 500_000_000 + 123_457
    coarse = (now - 500_000_000) // 1_000_000_000 * 1_000_000_000
    for name, mtime, trusted in (("fine", fine, True), ("coarse", coarse, False)):
        path = _write(tmp_path, name, b"one", mtime_ns=mtime)
        h = _session(tmp_path)
        assert h.file_hash(name) == hash_bytes(b"one")
        _close(h)
        with path.open("r+b") as fh:  # a rewrite that keeps size, mtime and inode
            fh.write(b"two")
        os.utime(path, ns=(mtime, mtime))
        h = _session(tmp_path)
        # trusted: the record answers without a read (and cannot see the same-tick rewrite); racy: re-read
        assert h.file_hash(name) == hash_bytes(b"one" if trusted else b"two"), name
        assert h.files_read == (0 if trusted else 1), name
        _close(h)


def test_racily_clean_record_is_rehashed(tmp_path: Path) -> None:
    # The file is hashed in the same instant it was written: its record is racily clean. (Its mtime is set a
    # little ahead, so that a slow machine, taking more than the 100 ms margin to open the store, cannot make
    # the record settled before it is taken.)
    path = _write(tmp_path, "a", b"alpha", mtime_ns=time.time_ns() + 5_000_000_123)
    st = path.stat()
    h = _session(tmp_path)
    assert h.file_hash("a") == hash_bytes(b"alpha")
    _close(h)
    # Rewritten within the same timestamp tick: same size, same mtime, same inode; only content differs.
    with path.open("r+b") as fh:
        fh.write(b"omega")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_mtime_ns == st.st_mtime_ns and path.stat().st_ino == st.st_ino
    h = _session(tmp_path)
    assert h.file_hash("a") == hash_bytes(b"omega")
    assert h.files_read == 1
    _close(h)


def test_settled_record_is_trusted(tmp_path: Path) -> None:
    # The counterpart: a record made long after the mtime is trusted (this is what makes no-op builds cheap).
    path = _write(tmp_path, "a", b"alpha")
    h = _session(tmp_path)
    h.file_hash("a")
    _close(h)
    with path.open("r+b") as fh:
        fh.write(b"omega")
    os.utime(path, ns=(OLD, OLD))
    h = _session(tmp_path)
    assert h.file_hash("a") == hash_bytes(b"alpha")
    assert h.files_read == 0
    _close(h)


def test_missing_and_non_regular(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    h = Hasher(tmp_path, None)
    assert h.file_hash("nope") is None
    assert h.file_hash("dir") is None
    assert h.file_hash("nope/deeper") is None
    assert h.file_hashes(["nope", "dir"]) == {"nope": None, "dir": None}


def test_many_misses_hashed_in_parallel_correctly(tmp_path: Path) -> None:
    paths = [f"d/{i}.txt" for i in range(40)]
    for i, p in enumerate(paths):
        _write(tmp_path, p, f"file {i}".encode() * (i + 1))
    h = Hasher(tmp_path, None)
    got = h.file_hashes([*paths, "missing"])
    assert got == {
        **{p: hash_bytes(f"file {i}".encode() * (i + 1)) for i, p in enumerate(paths)},
        "missing": None,
    }
    assert h.files_read == 40


def test_note_written_avoids_a_read_and_flush_writes_only_changes(tmp_path: Path) -> None:
    _write(tmp_path, "a", b"alpha")
    _write(tmp_path, "out", b"result")
    h = _session(tmp_path)
    h.file_hash("a")
    h.note_written("out", hash_bytes(b"result"))
    assert h.file_hash("out") == hash_bytes(b"result")
    assert h.files_read == 1
    _close(h)
    store = Store.open(tmp_path)
    saved: list[list[FileRecord]] = []
    real = store.save_file_records
    store.save_file_records = lambda recs: (saved.append(list(recs)), real(recs))  # type: ignore[method-assign]
    h = Hasher(tmp_path, store)
    h.file_hash("a")
    h.flush()
    assert saved == []  # nothing changed, nothing written
    _write(tmp_path, "a", b"alphabet")
    h.file_hash("a")
    h.flush()
    assert [[r.path for r in batch] for batch in saved] == [["a"]]
    store.close()


def test_forget_and_vanished_files(tmp_path: Path) -> None:
    _write(tmp_path, "a", b"alpha")
    _write(tmp_path, "b", b"beta")
    h = _session(tmp_path)
    h.file_hashes(["a", "b"])
    _close(h)
    h = _session(tmp_path)
    h.forget("a")
    assert h.file_hash("a") == hash_bytes(b"alpha") and h.files_read == 1
    (tmp_path / "b").unlink()
    assert h.file_hash("b") is None
    _close(h)
    with Store.open(tmp_path) as store:
        assert set(store.file_records()) == {"a"}


def test_changed_lists_what_moved_since_it_was_seen(tmp_path: Path) -> None:
    h = _session(tmp_path)
    for name in ("same", "edited", "removed"):
        _write(tmp_path, name, b"v1")
    names = ["same", "edited", "removed", "absent", "appeared"]
    h.file_hashes(names)  # looked at now: the absent ones as absent
    seen = h.seen(names)
    assert seen[3] is None and seen[4] is None and all(seen[:3])
    assert h.records(names) is None and h.records(names[:3]) == seen[:3]
    _write(tmp_path, "edited", b"v2 longer")
    (tmp_path / "removed").unlink()
    _write(tmp_path, "appeared", b"new")
    assert list(h.changed(names, seen)) == ["edited", "removed", "appeared"]
    assert h.moved(names[:3], seen[:3]) == "edited"  # (the inputs' check: the first that moved)
    _close(h)
