"""A paid-for result survives a crash: outputs reach the cache and the task row before they are renamed.

The crash window (task recorded, outputs not yet renamed) is simulated by making the rename raise a
BaseException, which nothing in agentmake catches (as a `kill -9` would stop it at that point). The next build
must restore the outputs from the cache with zero agent calls, also when the targets still hold old content.
Also here: processes written to the store only once they outlive MARK_DELAY, end_orphans under the project
lock, and the retry backoff taken from the Agentfile or AGENTMAKE_BACKOFF.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from agentmake import workflow
from agentmake.display.base import summary_lines
from agentmake.errors import UsageError
from agentmake.scheduler import outcomes
from agentmake.scheduler.processes import end_orphans
from agentmake.store import Store

AGENTFILE = """\
agent copy:
    inputs = src/{n}.txt
    outputs = out/{n}.txt
    run = "cp {input} {output}; echo {n} >> runs.log"
"""


class Crash(BaseException):
    """Stands for agentmake being killed."""


def _project(root: Path, agentfile: str = AGENTFILE) -> None:
    (root / "src").mkdir(parents=True)
    (root / "Agentfile").write_text(agentfile)
    for name in ("a", "b"):
        (root / "src" / f"{name}.txt").write_text(f"{name} v1\n")


def _build(root: Path, **kw: object) -> workflow.BuildResult:
    req = workflow.Request(directory=root, silent=True, jobs=1, **kw)  # type: ignore[arg-type]
    project = workflow.load_project(req)
    with Store.open(root) as store:
        return workflow.run_graph(project, project.graph, store, req)


def _runs(root: Path) -> list[str]:
    log = root / "runs.log"
    return log.read_text().split() if log.exists() else []


def _crash_on_rename(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(root: Path, staged: object, discard: object = None, absent: object = ()) -> None:
        raise Crash

    monkeypatch.setattr(outcomes, "commit_outputs", crash)


def test_crash_after_record_before_rename_restores_from_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(tmp_path)
    (tmp_path / "src/b.txt").unlink()  # one task at first: a freed slot is refilled before the commit
    with monkeypatch.context() as m:
        _crash_on_rename(m)
        with pytest.raises(Crash):
            _build(tmp_path)
    assert _runs(tmp_path) == ["a"]  # the task ran, then "agentmake died"
    assert not (tmp_path / "out/a.txt").exists()  # never renamed into place
    with Store.open(tmp_path, lock=False) as store:
        rec = store.task_record("copy:a")
        assert rec is not None and rec.status == "done" and "out/a.txt" in rec.outputs
        assert store.pending_commits() == ["copy:a"]

    (tmp_path / "src/b.txt").write_text("b v1\n")
    result = _build(tmp_path)
    assert result.ok
    assert result.outcomes["copy:a"].state == "up-to-date"  # restored before deciding, not run again
    assert result.outcomes["copy:b"].state == "done"
    assert result.placed_left == ["copy:a"] and result.ended_left == []  # (and the summary says so)
    said = "put in place the results a killed agentmake recorded (1): copy:a"
    assert said in summary_lines(result)
    assert _runs(tmp_path) == ["a", "b"]  # zero further calls for `a`
    assert (tmp_path / "out/a.txt").read_text() == "a v1\n"
    assert not list(tmp_path.rglob("*.agentmake-tmp-*"))
    with Store.open(tmp_path, lock=False) as store:
        assert store.pending_commits() == []
        assert any(e["error_type"] == "recovered" for e in store.events())


def test_crash_leaving_the_old_output_is_not_taken_for_a_hand_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(tmp_path)
    assert _build(tmp_path).ok
    (tmp_path / "src/a.txt").write_text("a v2\n")
    with monkeypatch.context() as m:
        _crash_on_rename(m)
        with pytest.raises(Crash):
            _build(tmp_path)
    assert (tmp_path / "out/a.txt").read_text() == "a v1\n"  # the old content is still in place
    assert _runs(tmp_path) == ["a", "b", "a"]

    result = _build(tmp_path)
    assert result.ok and result.count("done") == 0, result.outcomes
    assert not any(o.notice for o in result.outcomes.values())  # no "edited by hand" verdict
    assert (tmp_path / "out/a.txt").read_text() == "a v2\n"
    assert _runs(tmp_path) == ["a", "b", "a"]
    assert not (tmp_path / ".agentmake/edited").exists()


def test_normal_build_leaves_no_pending_commit_and_fills_the_cache(tmp_path: Path) -> None:
    _project(tmp_path)
    assert _build(tmp_path).ok
    with Store.open(tmp_path, lock=False) as store:
        assert store.pending_commits() == []
        rec = store.task_record("copy:b")
        assert rec is not None and store.cache_lookup(rec.key) == rec.outputs
        assert store.running() == []
    (tmp_path / "out/b.txt").unlink()
    result = _build(tmp_path)
    assert result.outcomes["copy:b"].state == "cached" and _runs(tmp_path) == ["a", "b"]


def test_quick_processes_are_never_written_but_long_ones_are(tmp_path: Path) -> None:
    agentfile = """\
agent slow:
    inputs = src/a.txt
    outputs = out/slow.txt
    run = "sleep 0.6; cp {input} {output}; echo slow >> runs.log"
"""
    _project(tmp_path, agentfile)
    seen: list[list[tuple[str, int, int, int]]] = []
    real = Store.mark_running_many

    def spy(self: Store, rows: list[tuple[str, int, int, int]]) -> None:
        real(self, rows)
        seen.append(self.running())

    with pytest.MonkeyPatch.context() as m:
        m.setattr(Store, "mark_running_many", spy)
        assert _build(tmp_path).ok
    assert len(seen) == 1 and [row[0] for row in seen[0]] == ["slow"]  # written while it ran
    with Store.open(tmp_path, lock=False) as store:
        assert store.running() == []  # and cleared when it ended

    _project(tmp_path / "quick")
    with pytest.MonkeyPatch.context() as m:
        m.setattr(Store, "mark_running_many", lambda self, rows: seen.append(list(rows)))
        m.setattr(Store, "mark_running", lambda self, *a: seen.append([a]))
        assert _build(tmp_path / "quick").ok
    assert len(seen) == 1  # `cp` ends long before MARK_DELAY: no write at all


def test_end_orphans_under_the_lock_ends_entries_of_any_owner(tmp_path: Path) -> None:
    orphan = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        with Store.open(tmp_path) as store:
            # the owner pid is alive (our parent), as a reused pid would be: under the lock it cannot be an
            # agentmake using this project, so the entry is an orphan
            store.mark_running("t", 1, orphan.pid, orphan.pid)
            store._conn.execute("UPDATE running SET owner_pid = ?", (os.getppid(),))
            assert store.locked
            assert end_orphans(store) == ["t"]
            assert store.running() == []
        assert orphan.wait(timeout=10) is not None
    finally:
        orphan.kill()
        orphan.wait()


def test_backoff_base_from_agentfile_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _project(tmp_path, "backoff = 0.5\n" + AGENTFILE) if _grammar_has_backoff() else _project(tmp_path)
    monkeypatch.delenv("AGENTMAKE_BACKOFF", raising=False)
    project = workflow.load_project(workflow.Request(directory=tmp_path))
    expected = 0.5 if _grammar_has_backoff() else 2.0
    assert workflow.backoff_base(project.agentfile) == expected
    monkeypatch.setenv("AGENTMAKE_BACKOFF", "0.01")
    assert workflow.backoff_base(project.agentfile) == 0.01
    monkeypatch.setenv("AGENTMAKE_BACKOFF", "soon")
    with pytest.raises(UsageError):
        workflow.backoff_base(project.agentfile)


def _grammar_has_backoff() -> bool:
    """The `backoff` setting's syntax is added by the syntax owner; until then the default applies."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        Path(d, "Agentfile").write_text("backoff = 0.5\n" + AGENTFILE)
        try:
            af = workflow.load_project(workflow.Request(directory=Path(d))).agentfile
        except Exception:
            return False
        return af.settings.backoff == 0.5


def _decide_all(root: Path) -> tuple[dict[str, str], int]:
    from agentmake.plan import Hasher, Rebuilder

    project = workflow.load_project(workflow.Request(directory=root))
    with Store.open(root, lock=False) as store:
        rebuilder = Rebuilder(project.graph, store, Hasher(root, store))
        actions = {t.id: rebuilder.decide(t).action for t in project.graph.tasks.values()}
    return actions, rebuilder.fast


def test_fast_path_decides_a_no_op_and_still_sees_every_change(tmp_path: Path) -> None:
    agentfile = (
        AGENTFILE
        + """
tone = dry

agent say:
    inputs = src/a.txt
    outputs = said.txt
    runner = shell
    run = "echo {input} > {output}"
"""
    )
    _project(tmp_path, agentfile)
    assert _build(tmp_path).ok
    actions, fast = _decide_all(tmp_path)
    assert set(actions.values()) == {"skip"} and fast == 3  # no render, no key

    (tmp_path / "src/b.txt").write_text("b v2\n")  # an input's content
    actions, _ = _decide_all(tmp_path)
    assert actions == {"copy:a": "skip", "copy:b": "run", "say": "skip"}
    (tmp_path / "src/b.txt").write_text("b v1\n")

    text = (tmp_path / "Agentfile").read_text()
    (tmp_path / "Agentfile").write_text(text.replace("echo {input}", "echo x {input}"))  # a command
    actions, _ = _decide_all(tmp_path)
    assert actions["say"] == "run" and actions["copy:a"] == "skip"

    (tmp_path / "Agentfile").write_text(text.replace("echo {n} >>", "echo {n} 2 >>"))  # fan-out's command
    actions, _ = _decide_all(tmp_path)
    assert actions["copy:a"] == "run" and actions["say"] == "skip"


def test_a_stale_memo_is_refreshed_by_a_no_op_build(tmp_path: Path) -> None:
    _project(tmp_path)
    assert _build(tmp_path).ok
    with Store(tmp_path, lock=None) as store:  # an older memo (e.g. from before the fast path)
        store._conn.execute("UPDATE tasks SET memo = ''")
    assert _decide_all(tmp_path)[1] == 0
    result = _build(tmp_path)
    assert result.count("up-to-date") == 2
    actions, fast = _decide_all(tmp_path)
    assert set(actions.values()) == {"skip"} and fast == 2


def test_plain_display_shows_cap_changes_and_buffers_file_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from agentmake.display import PlainDisplay, plain

    monkeypatch.setattr(plain, "FLUSH_INTERVAL", 600.0)  # no time-based flush during the test
    from agentmake.scheduler import TaskEvent

    err = io.StringIO()
    display = PlainDisplay(err, summary_stream=io.StringIO())
    display(TaskEvent("scan:a", "running", 100.0, 1, 3))
    display(TaskEvent("scan:a", "retrying", 101.0, 1, 3, 2.0, "429", "rate-limit",
                      "retrying in 2.0s; cap for claude lowered to 2"))  # fmt: skip
    lines = err.getvalue().splitlines()
    assert lines[-1] == "[   1.0s] rate limit  cap for claude lowered to 2"

    with (tmp_path / "err.txt").open("w") as fh:
        buffered = PlainDisplay(fh, summary_stream=io.StringIO())
        buffered(TaskEvent("t", "running", 100.0, 1, 1))
        buffered(TaskEvent("t", "done", 100.1, 1, 1))
        fh.flush()
        assert (tmp_path / "err.txt").read_text() == ""  # batched: nothing written yet
        buffered(TaskEvent("u", "failed", 100.2, 1, 1, message="boom"))  # a failure is written at once
        fh.flush()
        text = (tmp_path / "err.txt").read_text()
    assert text.splitlines() == [
        "[   0.0s] running     t",
        "[   0.1s] done        t",
        "[   0.2s] failed      u  (boom)",
    ]


@pytest.mark.parametrize(("value", "seconds"), [("250ms", 0.25), ("1.5", 1.5), ("2s", 2.0), ("1m", 60.0)])
def test_backoff_from_the_environment_is_a_duration_like_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, seconds: float
) -> None:
    """AGENTMAKE_BACKOFF overrides `backoff`, so it takes what `backoff` takes (250ms was refused, exit 2)."""
    _project(tmp_path)
    project = workflow.load_project(workflow.Request(directory=tmp_path))
    monkeypatch.setenv("AGENTMAKE_BACKOFF", value)
    assert workflow.backoff_base(project.agentfile) == pytest.approx(seconds)
    monkeypatch.setenv("AGENTMAKE_BACKOFF", "-1s")
    with pytest.raises(UsageError, match="AGENTMAKE_BACKOFF must be a duration"):
        workflow.backoff_base(project.agentfile)
