"""The result cache: exact restore, atomic writes, path safety, LRU trimming, edited copies."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from agentmake.errors import UsageError
from agentmake.plan.hashing import hash_path
from agentmake.store import Store, TaskRecord
from agentmake.store import blobs as blobs_mod


@pytest.fixture(params=["packed", "files"])
def layout(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every cache behaviour holds for small blobs (rows of the `blobs` table) and large ones (files)."""
    if request.param == "files":
        monkeypatch.setattr(blobs_mod, "PACK_LIMIT", -1)
    return str(request.param)


def blob_files(store: Store) -> list[Path]:
    return [p for p in (store.dir / "cache" / "blobs").rglob("*") if p.is_file()]


def packed(store: Store) -> list[str]:
    return [d for (d,) in store._conn.execute("SELECT digest FROM blobs ORDER BY digest")]


def _record(store: Store, root: Path, key: str, files: dict[str, bytes]) -> dict[str, str]:
    outputs = {}
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
        outputs[path] = hash_path(root / path)
    store.record_success(TaskRecord("t", key, {}, outputs), {p: root / p for p in files})
    return outputs


def test_restore_writes_exact_bytes_and_creates_dirs(tmp_path: Path, layout: str) -> None:
    data = bytes(range(256)) * 5000 + "ünïcode\r\n".encode()
    with Store.open(tmp_path) as store:
        hashes = _record(store, tmp_path, "k", {"build/deep/x.bin": data, "y.txt": b""})
        (tmp_path / "build").rename(tmp_path / "gone")
        (tmp_path / "y.txt").write_text("something else")
        restored = store.cache_restore("k", tmp_path)
    assert restored == hashes
    assert (tmp_path / "build/deep/x.bin").read_bytes() == data
    assert (tmp_path / "y.txt").read_bytes() == b""
    assert not list(tmp_path.rglob("*.agentmake-tmp-*"))


def test_blob_layout_and_sharing(tmp_path: Path, layout: str) -> None:
    with Store.open(tmp_path) as store:
        h = _record(store, tmp_path, "k1", {"a": b"same"})["a"]
        _record(store, tmp_path, "k2", {"b": b"same"})
        files, rows = blob_files(store), packed(store)
        assert store.cache.read(h) == b"same"
    if layout == "files":
        assert rows == []
        assert [p.relative_to(tmp_path / ".agentmake/cache/blobs").as_posix() for p in files] == [
            f"{h[:2]}/{h[2:]}"
        ]
    else:
        assert rows == [h] and files == []  # one row for both outputs, and no file at all


def test_blobs_up_to_the_pack_limit_are_rows_larger_ones_files(tmp_path: Path) -> None:
    limit = blobs_mod.PACK_LIMIT
    with Store.open(tmp_path) as store:
        h = _record(store, tmp_path, "k", {"at": b"a" * limit, "over": b"b" * (limit + 1)})
        assert packed(store) == [h["at"]]
        assert [p.name for p in blob_files(store)] == [h["over"][2:]]
        (tmp_path / "at").unlink()
        (tmp_path / "over").unlink()
        store.cache_restore("k", tmp_path)
    assert (tmp_path / "at").read_bytes() == b"a" * limit
    assert (tmp_path / "over").read_bytes() == b"b" * (limit + 1)


def test_lookup_misses_when_a_blob_is_gone(tmp_path: Path, layout: str) -> None:
    with Store.open(tmp_path) as store:
        h = _record(store, tmp_path, "k", {"a": b"x", "b": b"y"})
        assert store.cache_lookup("k") == h
        if layout == "files":
            store.cache.blob_path(h["b"]).unlink()
        else:
            store._conn.execute("DELETE FROM blobs WHERE digest = ?", (h["b"],))
        assert store.cache_lookup("k") is None
        assert store.cache_lookup("unknown") is None
        with pytest.raises(KeyError):
            store.cache_restore("k", tmp_path)


def test_restore_refuses_paths_outside_root(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (tmp_path / "evil").write_text("x")
    with Store.open(root) as store:
        digest = hash_path(tmp_path / "evil")
        store.cache.put_blob(digest, tmp_path / "evil")
        store.cache.add("k", {"../evil2": digest}, {})
        with pytest.raises(UsageError, match="outside the project"):
            store.cache_restore("k", root)
    assert not (tmp_path / "evil2").exists()


def test_lru_trim(tmp_path: Path, layout: str) -> None:
    with Store.open(tmp_path) as store:
        for i in range(4):
            _record(store, tmp_path, f"k{i}", {f"f{i}": bytes([i]) * 1000})
        # use k0 recently: it must survive
        store._conn.execute("UPDATE cache SET last_used = ?", (time.time() - 100,))
        store.cache_restore("k0", tmp_path)
        freed = store.cache_trim(2500)
        kept = {k for k in ("k0", "k1", "k2", "k3") if store.cache_lookup(k)}
        assert "k0" in kept and len(kept) == 2
        assert freed == 2000
        assert len(blob_files(store) if layout == "files" else packed(store)) == 2
        # the entry of the result in place (task "t" was last recorded with k3) stays, even over the limit
        assert store.cache_trim(0) == 1000 and store.cache_lookup("k3") and not store.cache_lookup("k0")
        assert len(blob_files(store) if layout == "files" else packed(store)) == 1


def test_trim_keeps_the_results_in_place_over_more_recent_stale_ones(tmp_path: Path, layout: str) -> None:
    # "big" is up to date (a skipped task never touches its entry); "small" changed four times since: its
    # stale variants are used more recently, yet they go first, or a `clean` would cost a run of "big"
    with Store.open(tmp_path) as store:
        outputs = _record(store, tmp_path, "big-key", {"big": b"B" * 3000})
        store.record_success(TaskRecord("big", "big-key", {}, outputs), {})
        for i in range(4):
            recorded = _record(store, tmp_path, f"small-{i}", {"small": bytes([i]) * 1000})
            store.record_success(TaskRecord("small", f"small-{i}", {}, recorded), {})
        store.cache_trim(4500)
        kept = {k for k in ("big-key", "small-0", "small-1", "small-2", "small-3") if store.cache_lookup(k)}
        assert kept == {"big-key", "small-3"}


def test_a_blob_shared_by_several_entries_counts_once(tmp_path: Path, layout: str) -> None:
    # four tasks with identical outputs share one blob: the cache holds 2,000 bytes, not 5,000, and a limit
    # of 2,500 drops nothing (each entry counted in full, three entries were dropped for nothing)
    with Store.open(tmp_path) as store:
        for i in range(4):
            _record(store, tmp_path, f"same-{i}", {f"s{i}": b"S" * 1000})
        _record(store, tmp_path, "other", {"o": b"O" * 1000})
        assert store.cache_trim(2500) == 0
        assert all(store.cache_lookup(k) for k in ("same-0", "same-1", "same-2", "same-3", "other"))
        # over 1,500 the shared blob goes, with every entry naming it ("other" is the result in place: kept)
        assert store.cache_trim(1500) == 1000
        assert {k for k in ("same-0", "same-1", "same-2", "same-3", "other") if store.cache_lookup(k)} == {
            "other"
        }


def test_cache_clear(tmp_path: Path, layout: str) -> None:
    with Store.open(tmp_path) as store:
        h = _record(store, tmp_path, "k", {"a": b"x"})
        store.cache_clear()
        assert store.cache_lookup("k") is None
        assert store.cache.read(h["a"]) is None and blob_files(store) == [] and packed(store) == []
        assert store.task_record("t") is not None  # the state itself is kept


def test_save_edited(tmp_path: Path) -> None:
    (tmp_path / "build").mkdir()
    (tmp_path / "build/x.md").write_text("my edit")
    with Store.open(tmp_path) as store:
        first = store.save_edited("build/x.md")
        (tmp_path / "build/x.md").write_text("second edit")
        second = store.save_edited("build/x.md")
    assert first.read_text() == "my edit" and second.read_text() == "second edit"
    assert first != second
    assert first.as_posix().endswith("/build/x.md")
    assert first.relative_to(tmp_path / ".agentmake" / "edited")
    assert os.path.basename(os.path.dirname(os.path.dirname(first)))[:8].isdigit()


def test_a_blob_copy_that_fails_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a full disk mid-copy: the half-written temporary blob (named after this process, so nothing would ever
    # sweep it) must go, or each such build leaves one more behind in .agentmake/cache
    import errno
    import shutil

    monkeypatch.setattr(blobs_mod, "PACK_LIMIT", -1)
    src = tmp_path / "out.md"
    src.write_bytes(b"x" * 5000)

    def full(source: object, dest: str) -> None:
        Path(dest).write_bytes(b"x" * 100)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", full)
    with Store.open(tmp_path) as store:
        with pytest.raises(OSError, match="No space left"):
            store.store_blob(hash_path(src), src)
        assert blob_files(store) == []
        assert [p for p in (store.dir / "cache").rglob("*") if p.is_file()] == []
