"""Small blobs packed into the state database: written in the task's own transaction, kept in memory across a
rolled-back one, trimmed with their disk space given back, and older databases and file blobs still read."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from agentmake.plan.hashing import hash_path
from agentmake.store import Store, TaskRecord
from agentmake.store import blobs as blobs_mod


def _staged(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / f".{name}.agentmake-tmp-1"
    path.write_bytes(data)
    return path


def test_a_failed_transaction_stores_neither_row_nor_blob_and_a_later_one_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _staged(tmp_path, "a", b"paid-for answer\n")
    with Store.open(tmp_path) as store:
        digest, _ = store.hash_and_store_blob(src)  # as a worker does
        rec = TaskRecord("t", "key1", {}, {"a": digest}, run_id=store.begin_run())
        with monkeypatch.context() as m:

            def broken(*args: object) -> None:
                raise sqlite3.OperationalError("disk I/O error")

            m.setattr(store, "_write_attempt", broken)  # fails after the cache row and blob were written
            with pytest.raises(sqlite3.OperationalError):
                store.record_success(rec, {"a": src})
        assert store.cache.read(digest) is None and store.cache_lookup("key1") is None
        src.unlink()  # still held in memory: the next record needs no file
        store.record_success(TaskRecord("t", "key1", {}, {"a": digest}, run_id=rec.run_id), {"a": src})
        assert store.cache.read(digest) == b"paid-for answer\n"
        assert store.cache.restore("key1", tmp_path) == {"a": digest}
    assert (tmp_path / "a").read_bytes() == b"paid-for answer\n"


def test_a_held_blob_no_row_names_never_reaches_the_database(tmp_path: Path) -> None:
    src = _staged(tmp_path, "a", b"attempt whose task was never recorded")
    with Store.open(tmp_path) as store:
        digest, stored = store.hash_and_store_blob(src)
        assert stored
        other = _staged(tmp_path, "b", b"another")
        rec = TaskRecord("u", "key2", {}, {"b": hash_path(other)}, run_id=store.begin_run())
        store.record_success(rec, {"b": other})
    with Store.open(tmp_path, lock=False) as store:
        assert store.cache.read(digest) is None  # only blobs a committed row names are stored
        assert store.cache.read(hash_path(other)) == b"another"


def test_trimming_packed_blobs_gives_the_disk_space_back(tmp_path: Path) -> None:
    chunk = blobs_mod.PACK_LIMIT
    with Store.open(tmp_path) as store:
        for i in range(24):
            src = _staged(tmp_path, f"o{i}", bytes([i]) * chunk)
            digest, _ = store.hash_and_store_blob(src)
            store.record_success(
                TaskRecord(f"t{i}", f"k{i}", {}, {f"o{i}": digest}, run_id=1), {f"o{i}": src}
            )
        (pages,) = store._conn.execute("PRAGMA page_count").fetchone()
        (page_size,) = store._conn.execute("PRAGMA page_size").fetchone()
        assert pages * page_size > 24 * chunk
        store._conn.execute("DELETE FROM tasks")  # (no result in place any more: every entry may go)
        assert store.cache_trim(0) == 24 * chunk
        (after,) = store._conn.execute("PRAGMA page_count").fetchone()
        (free,) = store._conn.execute("PRAGMA freelist_count").fetchone()
    assert after * page_size < 4 * chunk and free == 0  # pages returned, not merely marked free


def test_a_database_from_before_packing_gains_the_table_and_its_file_blobs_still_restore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _staged(tmp_path, "a", b"older result")
    with Store.open(tmp_path) as store, monkeypatch.context() as m:
        m.setattr(blobs_mod, "PACK_LIMIT", -1)  # as an older agentmake stored it: a file
        digest, _ = store.hash_and_store_blob(src)
        store.record_success(TaskRecord("t", "key1", {}, {"a": digest}, run_id=1), {"a": src})
        store._conn.execute("DROP TABLE blobs")  # and without the table
    assert store.cache.blob_path(digest).is_file()
    with Store.open(tmp_path) as store:
        tables = {n for (n,) in store._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "blobs" in tables
        assert store.cache_lookup("key1") == {"a": digest}
        store.cache_restore("key1", tmp_path)
    assert (tmp_path / "a").read_bytes() == b"older result"


def test_a_read_only_store_on_a_database_without_the_table_still_looks_up(tmp_path: Path) -> None:
    src = _staged(tmp_path, "a", b"x")
    with Store.open(tmp_path) as store:
        digest, _ = store.hash_and_store_blob(src)
        store.record_success(TaskRecord("t", "key1", {}, {"a": digest}, run_id=1), {"a": src})
        store._conn.execute("DROP TABLE blobs")
    (tmp_path / ".agentmake/state.db").chmod(0o444)
    try:
        with Store.open(tmp_path, lock=False) as store:
            assert store.cache_lookup("key1") is None  # its blob went with the table: a miss, not an error
            assert store.cache.read(digest) is None
    finally:
        (tmp_path / ".agentmake/state.db").chmod(0o644)


def test_an_output_read_whole_is_held_whatever_its_size_said(tmp_path: Path) -> None:
    # the read asks for the size fstat reports (plus one byte): exactly that, one byte under the read
    # size and an empty file are all read whole, and held as they are
    for data in (b"", b"x" * 10, b"y" * (blobs_mod.PACK_LIMIT - 1), b"z" * blobs_mod.PACK_LIMIT):
        src = _staged(tmp_path, "s", data)
        with Store.open(tmp_path) as store:
            digest, stored = store.hash_and_store_blob(src)
            assert stored and digest == hash_path(src)
            assert store.cache._pending[digest] == data


def test_a_file_longer_than_its_size_said_is_held_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = bytes(range(256)) * 4
    src = _staged(tmp_path, "grew", data)

    class Stale:
        st_size = 3  # as if the file grew between fstat and read
        st_mode = 0o100644

    with Store.open(tmp_path) as store:
        with monkeypatch.context() as m:
            m.setattr(blobs_mod.os, "fstat", lambda fd: Stale())
            digest, stored = store.hash_and_store_blob(src)
        assert stored and digest == hash_path(src)
        assert store.cache._pending[digest] == data  # not the first four bytes under the whole file's digest
