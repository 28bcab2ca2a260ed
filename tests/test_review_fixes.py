"""Regression tests (real CLI subprocess): hand edits saved before a cache restore, a cache that cannot be
written never costs a paid result, and SIGTERM ends agents' process groups."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, alive, group_alive, kill_quietly, wait_for


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def llm_agentfile(version: str) -> str:
    return f'''\
agent write:
    inputs = notes.md
    outputs = out.md
    prompt = """
        FAKE: label=write
        Summarise ({version}): {{{{ read(input) }}}}
        """
'''


def edited_copies(e2e: E2E) -> list[Path]:
    return sorted(p for p in (e2e.root / ".agentmake" / "edited").rglob("*") if p.is_file())


def test_restore_from_cache_saves_hand_edit_first(e2e: E2E) -> None:
    e2e.write("notes.md", "some notes\n")
    e2e.write("Agentfile", llm_agentfile("v1"), dedent=False)
    assert e2e.am().code == 0
    e2e.write("Agentfile", llm_agentfile("v2"), dedent=False)
    assert e2e.am().code == 0
    e2e.write("out.md", "MY HAND EDIT\n")
    e2e.write("Agentfile", llm_agentfile("v1"), dedent=False)
    calls = len(e2e.calls())
    run = e2e.am()
    assert run.code == 0, run
    assert run.summary.cached == 1, run
    assert len(e2e.calls()) == calls  # restored, no agent call
    assert e2e.read("out.md") != "MY HAND EDIT\n"
    saved = edited_copies(e2e)
    assert [p.read_text() for p in saved] == ["MY HAND EDIT\n"], run
    assert ".agentmake/edited/" in run.text and "out.md" in run.text, run


def test_unwritable_cache_keeps_the_result(e2e: E2E) -> None:
    e2e.write("notes.md", "some notes\n")
    e2e.write("Agentfile", llm_agentfile("v1"), dedent=False)
    (e2e.root / ".agentmake").mkdir()
    (e2e.root / ".agentmake" / "cache").write_text("")  # a file where the cache directory should be
    run = e2e.am()
    assert run.code == 0, run
    assert run.summary.ran == 1 and run.summary.failed == 0, run
    assert e2e.exists("out.md") and e2e.read("out.md").strip(), run
    again = e2e.am()  # recorded as done: up to date, not run again
    assert again.code == 0 and again.summary.up_to_date == 1, again
    assert len(e2e.calls()) == 1


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_ends_agents_process_groups(e2e: E2E, sig: int) -> None:
    e2e.write("in.txt", "x\n")
    e2e.write(
        "Agentfile",
        """\
        agent slow:
            inputs = in.txt
            outputs = out.txt
            run = "echo $$ > pids.txt; sleep 60 & echo $! >> pids.txt; sleep 60; echo done > {output}"
        """,
    )
    proc = e2e.spawn()
    pids: list[int] = []
    try:

        def started() -> bool:
            nonlocal pids
            try:
                pids = [int(x) for x in e2e.read("pids.txt").split()]
            except (OSError, ValueError):
                return False
            return len(pids) == 2

        wait_for(started, timeout=30, what="the shell agent and its grandchild")
        time.sleep(0.3)  # let the build record the running process
        proc.send_signal(sig)
        run = E2E.finish(proc, timeout=20)
        assert run.code in (130, 143), run
        assert "Traceback" not in run.text, run
        wait_for(lambda: not any(alive(p) for p in pids), timeout=10, what="agent processes to end")
        assert not group_alive(pids[0])
        assert not e2e.exists("out.txt")
    finally:
        kill_quietly(proc.pid)
        for pid in pids:
            kill_quietly(pid)


class Crash(BaseException):
    """Stands for agentmake being killed between recording a task and renaming its outputs."""


def test_recovering_an_interrupted_commit_saves_a_later_hand_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentmake import workflow
    from agentmake.scheduler import outcomes
    from agentmake.store import Store

    def build() -> workflow.BuildResult:
        req = workflow.Request(directory=tmp_path, silent=True, jobs=1)
        project = workflow.load_project(req)
        with Store.open(tmp_path) as store:
            return workflow.run_graph(project, project.graph, store, req)

    def crash(root: Path, staged: object, discard: object = None, absent: object = ()) -> None:
        raise Crash

    (tmp_path / "Agentfile").write_text(
        'agent copy:\n    inputs = a.txt\n    outputs = out.txt\n    run = "cp {input} {output}"\n'
    )
    (tmp_path / "a.txt").write_text("v1\n")
    assert build().ok
    (tmp_path / "a.txt").write_text("v2\n")
    with monkeypatch.context() as m:
        m.setattr(outcomes, "commit_outputs", crash)
        with pytest.raises(Crash):
            build()
    assert (tmp_path / "out.txt").read_text() == "v1\n"
    (tmp_path / "out.txt").write_text("HAND EDIT\n")  # neither the old content nor the recorded new one
    result = build()
    assert result.ok
    assert (tmp_path / "out.txt").read_text() == "v2\n"
    saved = [p for p in (tmp_path / ".agentmake" / "edited").rglob("*") if p.is_file()]
    assert [p.read_text() for p in saved] == ["HAND EDIT\n"]
    with Store.open(tmp_path, lock=False) as store:
        assert any(e["error_type"] == "output-edited" for e in store.events())
