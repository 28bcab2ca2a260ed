"""A store holding the project lock reads its cache's keys once (`Results._may_hold`: no query per lookup on a
first build) and still finds every entry filed after that read: by a success, an alias, a late filing
(`cache_keep`); a reader without the lock, or a cache too large to list, asks the database each time."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from agentmake.plan.hashing import hash_path
from agentmake.store import Store, TaskRecord
from agentmake.store import results as results_mod


def _record(store: Store, root: Path, task_id: str, key: str, data: bytes) -> dict[str, str]:
    (root / f"{task_id}.txt").write_bytes(data)
    outputs = {f"{task_id}.txt": hash_path(root / f"{task_id}.txt")}
    store.record_success(TaskRecord(task_id, key, {}, outputs), {f"{task_id}.txt": root / f"{task_id}.txt"})
    return outputs


def _file_elsewhere(root: Path, key: str, outputs: dict[str, str]) -> None:
    """An entry written by another connection, as another program could while no lock is held."""
    conn = sqlite3.connect(root / ".agentmake" / "state.db")
    with conn:
        conn.execute(
            "INSERT INTO cache (key, outputs, size, created_at, last_used) VALUES (?, ?, 0, 0, 0)",
            (key, json.dumps(outputs)),
        )
    conn.close()


def test_an_entry_filed_after_the_keys_were_read_is_found(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        assert store.cache_lookup("k1") is None  # (the keys are read: none)
        outputs = _record(store, tmp_path, "a", "k1", b"one")
        assert store.cache_lookup("k1") == outputs
        with store.batch():  # (filed in a batch: found before and after its commit)
            more = _record(store, tmp_path, "b", "k2", b"two")
            assert store.cache_lookup("k2") == more
        assert store.cache_lookup("k2") == more


def test_an_alias_and_a_late_filing_are_found(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        outputs = _record(store, tmp_path, "a", "k1", b"one")
        assert store.cache_lookup("k-alias") is None
        store.cache_alias("k1", "k-alias")
        assert store.cache_lookup("k-alias") == outputs
        assert store.cache_lookup("k-late") is None
        assert store.cache_keep("k-late", outputs)
        assert store.cache_lookup("k-late") == outputs


def test_a_reader_without_the_lock_asks_the_database(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        outputs = _record(store, tmp_path, "a", "k1", b"one")
    with Store.open(tmp_path, lock=False) as reader:
        assert reader.cache_lookup("k2") is None
        _file_elsewhere(tmp_path, "k2", outputs)  # (a build may file it meanwhile)
        assert reader.cache_lookup("k2") == outputs


def test_a_cache_too_large_to_list_is_asked_each_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(results_mod, "SINGLE_LOOKUPS", 1)
    monkeypatch.setattr(results_mod, "KNOWN_KEYS", 1)
    with Store.open(tmp_path) as store:
        outputs = _record(store, tmp_path, "a", "k1", b"one")
        _record(store, tmp_path, "b", "k2", b"two")
    with Store.open(tmp_path) as store:
        for _ in range(3):  # (two entries: more than it reads, before and after the single lookups)
            assert store.cache_lookup("k3") is None
        _file_elsewhere(tmp_path, "k3", outputs)  # (not by this store: only a query can find it)
        assert store.cache_lookup("k3") == outputs


def test_a_larger_cache_has_its_keys_read_after_single_lookups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(results_mod, "SINGLE_LOOKUPS", 1)
    with Store.open(tmp_path) as store:
        outputs = _record(store, tmp_path, "a", "k1", b"one")
        _record(store, tmp_path, "b", "k2", b"two")
    with Store.open(tmp_path) as store:
        assert store.cache_lookup("k1") == outputs  # (two entries, more than one: asked)
        assert store._cache_keys is None
        assert store.cache_lookup("k3") is None  # (the keys read now)
        assert store._cache_keys == {"k1", "k2"}
        more = _record(store, tmp_path, "c", "k3", b"three")
        assert store.cache_lookup("k3") == more
