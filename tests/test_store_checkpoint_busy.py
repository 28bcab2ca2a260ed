"""The store's own checkpoint thread (`agentmake.store.checkpoint`) never holds the database's write lock:
the build's wait for that lock (`agentmake.store.busy`) takes whoever holds it for another program, says so
after 2 s and gives up on a Ctrl-C, leaving the results that finished to be salvaged. Its last try used to
be a RESTART checkpoint, which holds the write lock while it copies and syncs; a slow one (here: made to
wait for a reader's snapshot, a real SQLite wait on real files) stopped the writer's next commit."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from agentmake.store import Store, checkpoint


class _SlowCheckpoints(ModuleType):
    """`sqlite3` as the checkpoint module sees it, but the thread's connection waits up to 3 s for a lock
    instead of never: a checkpoint that takes the write lock holds it that long while a reader's snapshot
    keeps it from finishing (a stand-in for a slow copy and sync: only the time it holds the lock differs)."""

    def __init__(self) -> None:
        super().__init__("sqlite3")
        self.modes: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(sqlite3, name)

    def connect(self, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        kwargs["timeout"] = 3.0
        return sqlite3.connect(*args, **kwargs)


def test_a_commit_during_the_threads_checkpoint_is_not_taken_for_another_programs_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer commits while its thread checkpoints a log a reader holds back, with a Ctrl-C already
    come (the build's `busy.stop` says stop): no commit waits, the store does not give up (before: the
    RESTART held the write lock for the 3 s, the next commit waited 0.25 s and raised StateBusy)."""
    monkeypatch.setattr(checkpoint, "PAGES", 20)
    monkeypatch.setattr(checkpoint, "sqlite3", _SlowCheckpoints())
    store = Store.open(tmp_path)
    reader = sqlite3.connect(tmp_path / ".agentmake" / "state.db", isolation_level=None)
    notices: list[str] = []
    try:
        store.begin_run()
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM runs").fetchone()  # (a snapshot: the copy stops there)
        store.busy.stop = lambda: "the build was stopped"
        store.busy.notice = notices.append
        checkpoints = store._checkpoints
        assert checkpoints is not None
        deadline = time.monotonic() + 30  # (ends once it has: a loaded runner may run the thread late)
        while checkpoints.done < 2 and time.monotonic() < deadline:  # (commits through its tries)
            store.begin_run()
            time.sleep(0.002)
        for _ in range(200):  # (the writer's commits go on while the thread works, 2 s and more)
            store.begin_run()
            time.sleep(0.01)
        assert checkpoints.done >= 2
        assert store.busy.gave_up is None and store.busy.waited == 0.0 and notices == []
    finally:
        store.busy.stop = None
        reader.close()
        store.close()
    conn = sqlite3.connect(tmp_path / ".agentmake" / "state.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
