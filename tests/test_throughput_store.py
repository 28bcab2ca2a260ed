"""The cheaper per-task bookkeeping: hashing and caching an output from one read (`hash_and_put`), blobs known
to this process (no stat), one mkdir per output directory, renames without a mkdir, and a shell build whose
every output reaches the cache intact."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from agentmake import workflow
from agentmake.plan import Decision
from agentmake.plan.hashing import hash_path
from agentmake.runners import Executor
from agentmake.runners import capture as capture_mod
from agentmake.runners.staging import staged_path
from agentmake.scheduler.commit import commit_outputs
from agentmake.store import Store, TaskRecord
from agentmake.store import blobs as blobs_mod


@pytest.fixture
def files_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every blob a file (none packed into the database): for the tests of the file layout."""
    monkeypatch.setattr(blobs_mod, "PACK_LIMIT", -1)


def test_hash_and_put_hashes_and_stores_in_one_go(tmp_path: Path, files_only: None) -> None:
    src = tmp_path / "out.txt"
    src.write_bytes(b"hello\n")
    with Store.open(tmp_path) as store:
        digest, stored = store.hash_and_store_blob(src)
        assert stored and digest == hash_path(src)
        blob = store.cache.blob_path(digest)
        assert blob.read_bytes() == b"hello\n"
        assert not [p for p in blob.parent.iterdir() if p.name.startswith(".")]  # no temporary left
        assert store.hash_and_store_blob(src) == (digest, True)  # the same content again: nothing to do


def test_a_small_output_is_held_then_packed_with_its_row(tmp_path: Path) -> None:
    src = tmp_path / ".out.agentmake-tmp-1.txt"
    src.write_bytes(b"hello\n")
    with Store.open(tmp_path) as store:
        digest, stored = store.hash_and_store_blob(src)
        assert stored and digest == hash_path(src)
        assert store.cache.read(digest) is None  # held in memory: the database is not touched by workers
        src.unlink()  # the row is written from what was read, not from the file
        rec = TaskRecord("t", "key1", {}, {"out.txt": digest}, run_id=store.begin_run())
        store.record_success(rec, {"out.txt": src})
        assert store.cache.read(digest) == b"hello\n"
        assert store.cache_lookup("key1") == {"out.txt": digest}
    assert not (tmp_path / ".agentmake/cache/blobs").exists()  # no file, no directory


def test_hash_and_put_of_a_large_file_copies_it_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files_only: None
) -> None:
    monkeypatch.setattr(blobs_mod, "_SMALL", 7)  # "large": read in several chunks
    src = tmp_path / "big.bin"
    data = bytes(range(256)) * 3
    src.write_bytes(data)
    with Store.open(tmp_path) as store:
        digest, stored = store.hash_and_store_blob(src)
        assert stored and digest == hash_path(src)
        assert store.cache.blob_path(digest).read_bytes() == data


def test_hash_and_put_errors(tmp_path: Path, files_only: None) -> None:
    with Store.open(tmp_path) as store:
        with pytest.raises(OSError):
            store.hash_and_store_blob(tmp_path / "missing")
        src = tmp_path / "x"
        src.write_text("x")
        store.cache.blobs.parent.mkdir(parents=True, exist_ok=True)
        store.cache.blobs.write_text("not a directory")  # the cache cannot be written
        digest, stored = store.hash_and_store_blob(src)
        assert digest == hash_path(src) and not stored  # hashed all the same; the cache is best-effort


def test_clear_and_trim_forget_known_blobs(tmp_path: Path, files_only: None) -> None:
    src = tmp_path / "x"
    src.write_text("content")
    with Store.open(tmp_path) as store:
        digest, _ = store.hash_and_store_blob(src)
        store.cache_clear()
        assert not store.cache.blob_path(digest).exists()
        assert store.hash_and_store_blob(src) == (digest, True)
        assert store.cache.blob_path(digest).read_text() == "content"  # written again, not assumed there
        rec = TaskRecord("t", "key1", {}, {"x": digest}, run_id=store.begin_run())
        store.record_success(rec, {"x": src})
        assert store.cache_trim(0) == 0  # the entry of the result in place is kept, even over the limit
        store._conn.execute("DELETE FROM tasks")  # (no longer in place)
        assert store.cache_trim(0) == len("content")  # its row dropped, the blob swept
        assert not store.cache.blob_path(digest).exists()
        store.cache.put_blob(digest, src)
        assert store.cache.blob_path(digest).read_text() == "content"


def test_record_success_with_a_blob_stored_by_a_worker(tmp_path: Path) -> None:
    staged = tmp_path / ".a.agentmake-tmp-1.txt"
    staged.write_text("a\n")
    with Store.open(tmp_path) as store:
        digest, _ = store.hash_and_store_blob(staged)
        rec = TaskRecord("t", "key1", {"_memo": "m"}, {"a.txt": digest}, run_id=store.begin_run())
        store.record_success(rec, {"a.txt": staged})
        assert store.pending_commits() == ["t"]  # recorded before the rename
        assert store.cache_lookup("key1") == {"a.txt": digest}
    with Store.open(tmp_path, lock=False) as store:
        got = store.task_record("t")
        assert got is not None and got.outputs == {"a.txt": digest} and got.memo == "m"
        assert [a.state for a in store.attempts()] == ["done"]
        assert store.attempts()[0].extra == {}
    with Store.open(tmp_path) as store:
        assert store.cache_restore("key1", tmp_path) == {"a.txt": digest}
    assert (tmp_path / "a.txt").read_text() == "a\n"


def test_staged_path_makes_each_directory_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made: dict[str, Path] = {}
    calls: list[Path] = []
    real = Path.mkdir

    def counting(self: Path, *args: object, **kwargs: object) -> None:
        calls.append(self)
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", counting)
    a = staged_path(tmp_path, "out/a.txt", made)
    b = staged_path(tmp_path, "out/b.txt", made)
    c = staged_path(tmp_path, "other/c.txt", made)
    assert calls == [tmp_path / "out", tmp_path / "other"]
    assert a.parent == b.parent == tmp_path / "out" and c.parent.is_dir()
    assert a != b and ".agentmake-tmp-" in a.name and a.suffix == ".txt"
    staged_path(tmp_path, "out/d.txt")  # without a dict: always made (exist_ok)
    assert len(calls) == 3


def test_commit_outputs_renames_without_mkdir_and_makes_a_missing_directory(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    beside = tmp_path / "out" / ".a.agentmake-tmp-1.txt"
    beside.write_text("a")
    elsewhere = tmp_path / ".b.agentmake-tmp-2.txt"  # its target's directory does not exist yet
    elsewhere.write_text("b")
    targets = commit_outputs(tmp_path, {"out/a.txt": beside, "new/dir/b.txt": elsewhere})
    assert (tmp_path / "out/a.txt").read_text() == "a" and (tmp_path / "new/dir/b.txt").read_text() == "b"
    assert targets == {"out/a.txt": tmp_path / "out/a.txt", "new/dir/b.txt": tmp_path / "new/dir/b.txt"}
    with pytest.raises(FileNotFoundError):  # a vanished staged file is an error, not a mkdir
        commit_outputs(tmp_path, {"x/c.txt": tmp_path / ".gone.agentmake-tmp-3.txt"})
    assert not (tmp_path / "x").exists()


def test_shell_build_caches_every_output_intact(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    for i in range(12):
        (tmp_path / "src" / f"{i}.txt").write_text(f"{i % 3}\n")  # shared contents: one blob each
    (tmp_path / "Agentfile").write_text(
        'agent copy:\n    inputs = src/{n}.txt\n    outputs = out/{n}.txt\n    run = "cp {input} {output}"\n'
    )
    req = workflow.Request(directory=tmp_path, silent=True, jobs=3)  # type: ignore[call-arg]
    project = workflow.load_project(req)
    with Store.open(tmp_path) as store:
        assert workflow.run_graph(project, project.graph, store, req).ok
    with Store.open(tmp_path, lock=False) as store:
        for i in range(12):
            rec = store.task_record(f"copy:{i}")
            assert rec is not None and rec.status == "done"
            digest = rec.outputs[f"out/{i}.txt"]
            assert digest == hash_path(tmp_path / "out" / f"{i}.txt")
            assert store.cache.read(digest) == f"{i % 3}\n".encode()
            assert store.cache_lookup(rec.key) == {f"out/{i}.txt": digest}
        assert store.pending_commits() == []
        assert store._conn.execute("SELECT count(*) FROM blobs").fetchone() == (3,)  # one row per content
    assert not (tmp_path / ".agentmake/cache/blobs").exists()  # small outputs cost no file
    assert not [p for p in tmp_path.rglob("*.agentmake-tmp-*") if p.is_file()]
    assert os.listdir(tmp_path / ".agentmake/logs") == []  # cp prints nothing: no log files at all


def test_executor_clears_logs_only_in_a_log_directory_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "Agentfile").write_text('agent a:\n    outputs = a.txt\n    run = "echo hi > {output}"\n')
    project = workflow.load_project(workflow.Request(directory=tmp_path, silent=True))  # type: ignore[call-arg]
    task = project.graph.tasks["a"]
    logs = tmp_path / ".agentmake" / "logs"
    seen: list[bool] = []
    for _ in range(2):
        ex = Executor(project.agentfile, log_dir=logs, recover_leftovers=False)
        real = ex._spawn

        def spy(*args: object, ex: Executor = ex, real: object = real, **kwargs: object) -> object:
            seen.append(ex._fresh_logs)
            return real(*args, **kwargs)  # type: ignore[operator]

        ex._spawn = spy  # type: ignore[method-assign]
        res = ex.execute(task, Decision("run", []), 1, threading.Event())
        assert res.outcome == "ok", res.message
        ex.discard(res)
        assert logs.is_dir() and not (logs / "a.1.out").exists() and not (logs / "a.1.err").exists()
    assert seen == [True, False]  # made by the first executor; there already for the second


def test_a_blob_write_that_fails_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files_only: None
) -> None:
    src = tmp_path / "x"
    src.write_text("some output")

    def full(fd: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    with Store.open(tmp_path) as store:
        with monkeypatch.context() as m:
            m.setattr(blobs_mod.os, "write", full)
            digest, stored = store.hash_and_store_blob(src)
        assert digest == hash_path(src) and not stored
        blob = store.cache.blob_path(digest)
        assert not blob.exists() and os.listdir(blob.parent) == []
        assert store.cache.put_blob(digest, src) == len("some output")  # a later put stores it
        assert blob.read_text() == "some output"


def test_workers_starting_together_all_see_a_fresh_log_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "".join(
        f'agent a{i}:\n    outputs = a{i}.txt\n    run = "echo {i} > {{output}}"\n\n' for i in range(6)
    )
    (tmp_path / "Agentfile").write_text(text)
    project = workflow.load_project(workflow.Request(directory=tmp_path, silent=True))  # type: ignore[call-arg]
    ex = Executor(project.agentfile, log_dir=tmp_path / ".agentmake" / "logs", recover_leftovers=False)
    cleared: list[str] = []
    real_clear = capture_mod.LogFile.clear

    def counting_clear(self: capture_mod.LogFile) -> None:
        cleared.append(self.path)
        real_clear(self)

    monkeypatch.setattr(capture_mod.LogFile, "clear", counting_clear)
    real_is_dir = Path.is_dir
    gate = threading.Barrier(6)

    looks: list[Path] = []

    def slow_is_dir(self: Path) -> bool:  # a second worker looks only after the first made the directory
        if self.name == "logs":
            looks.append(self)
            if len(looks) > 1:
                threading.Event().wait(0.1)
        return real_is_dir(self)

    monkeypatch.setattr(Path, "is_dir", slow_is_dir)
    results = []

    def one(i: int) -> None:
        gate.wait()
        res = ex.execute(project.graph.tasks[f"a{i}"], Decision("run", []), 1, threading.Event())
        results.append(res.outcome)
        ex.discard(res)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["ok"] * 6
    assert ex._fresh_logs and cleared == []  # a directory this build made holds no older log to remove
