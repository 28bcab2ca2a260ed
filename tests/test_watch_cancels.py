"""`agentmake watch` as a real subprocess: which edits cancel a running task, which are no change at all, and
edits that used to go unseen (a directory moved, a hand edit undone, a burst of saves). The LLM agents are
the fake `claude` (tests/fake_agents), whose log counts every paid call: started and finished."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest
from conftest import FakeAgents
from test_watch import Watch, write

from agentmake.watch.events import MAX_WAIT
from agentmake.watch.watcher import QUIET_MS

PIPELINE = """\
agent prep:
    inputs  = src/a.txt
    outputs = build/a.txt
    run     = "cp {input} {output}"

agent summary:
    runner  = claude
    prompt  = prompts/s.md
    inputs  = build/a.txt
    outputs = out/summary.md

default = summary
"""


def _project(root: Path, agentfile: str, files: dict[str, str]) -> Path:
    project = root / "proj"
    for rel, text in {"Agentfile": agentfile, **files}.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text)
    return project


def _calls(fake: FakeAgents, label: str) -> tuple[int, int]:
    """(started, finished) calls of the fake agent labelled `label`."""
    rows = [r for r in fake.log_lines() if r[4] == label]
    return sum(r[0] == "start" for r in rows), sum(r[0] == "end" for r in rows)


def _said(w: Watch) -> str:
    """Everything watch printed (summary lines on stdout, task lines and messages on stderr)."""
    return Path(w.out.name).read_text() + w.stderr()


def _wait(cond: Callable[[], bool], what: str, w: Watch, timeout: float = 20.0) -> None:
    w.wait_for(cond, what, timeout)


def test_an_input_written_by_its_upstream_task_does_not_cancel_the_task_reading_it(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    prompt = "FAKE: sleep=1.5 label=sum\nSummarize the file.\n"
    project = _project(tmp_path, PIPELINE, {"src/a.txt": "one\n", "prompts/s.md": prompt})
    w = Watch(project, tmp_path / "unused.log")
    try:
        _wait(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build", w)
        assert w.summaries()[0][:4] == (2, 0, 0, 0)
        assert _calls(fake_agents, "sum") == (1, 1)

        # prep rewrites build/a.txt while summary (started at once after it) runs: not a change to it
        write(project / "src/a.txt", "two\n")
        _wait(lambda: len(w.summaries()) == 2, "the rebuild", w)
        w.quiet(1.0)
        assert len(w.summaries()) == 2 and w.summaries()[1][:4] == (2, 0, 0, 0)
        assert _calls(fake_agents, "sum") == (2, 2)  # paid once, finished, not thrown away
        assert "cancelled" not in _said(w) and "interrupted" not in _said(w)
        assert (project / "out/summary.md").exists()

        # a touch of what a running task reads is no change either
        write(project / "src/a.txt", "three\n")
        _wait(lambda: _calls(fake_agents, "sum")[0] == 3, "summary to start again", w)
        os.utime(project / "build/a.txt")
        _wait(lambda: len(w.summaries()) == 3, "that build", w)
        w.quiet(1.0)
        assert _calls(fake_agents, "sum") == (3, 3) and len(w.summaries()) == 3
    finally:
        assert w.stop() == 130


TRANSLATE = """\
agent tr:
    runner  = claude
    prompt  = prompts/t.md
    inputs  = docs/{name}.md
    outputs = out/{name}.md
"""


def _translations(root: Path, prompt: str) -> Path:
    """Two documents translated by the fake claude with `prompt`."""
    return _project(root, TRANSLATE, {"docs/a.md": "a\n", "docs/b.md": "b\n", "prompts/t.md": prompt})


def test_a_prompt_edited_during_a_run_cancels_the_task_reading_it(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    project = _translations(tmp_path, "FAKE: sleep=0.2 label=t\nTranslate.\n")
    w = Watch(project, tmp_path / "unused.log")
    try:
        _wait(lambda: len(w.summaries()) == 1, "the first build", w)
        assert _calls(fake_agents, "t") == (2, 2)
        # (`hang`, not a sleep: they answer only if not cancelled, however late a loaded runner sees the edit)
        write(project / "prompts/t.md", "FAKE: hang label=slow\nTranslate.\n")
        _wait(lambda: _calls(fake_agents, "slow")[0] == 2, "both tasks to start on the new prompt", w)
        write(project / "prompts/t.md", "FAKE: sleep=0.2 label=fast\nTranslate, please.\n")
        _wait(lambda: len(w.summaries()) >= 3, "the rebuild on the last prompt", w, timeout=30)
        w.quiet(1.0)
        assert _calls(fake_agents, "slow") == (2, 0)  # ended as soon as their prompt changed
        assert _calls(fake_agents, "fast") == (2, 2)
        assert "cancelled: prompts/t.md changed" in _said(w)
        assert "Translate, please." in (project / "out/a.md").read_text()
    finally:
        assert w.stop() == 130


def test_ctrl_c_after_a_cancel_in_the_same_build_still_ends_watch(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    # (the calls outlast any delay of the watcher: the edit ends one, Ctrl-C the other, so it costs nothing)
    project = _translations(tmp_path, "FAKE: sleep=30 label=t\nTranslate.\n")
    w = Watch(project, tmp_path / "unused.log")
    try:
        _wait(lambda: _calls(fake_agents, "t")[0] == 2, "both tasks to start", w)
        write(project / "docs/a.md", "a, edited\n")  # cancels tr:a; tr:b runs on
        _wait(lambda: "cancelled" in _said(w), "the cancel", w)
        w.proc.send_signal(signal.SIGINT)
        assert w.proc.wait(15) == 130
        assert _calls(fake_agents, "t")[0] == 2  # no new build, no new paid call
    finally:
        w.stop()


TREE = """\
agent each:
    inputs  = src/{dir}/{f}.txt
    outputs = out/{dir}/{f}.txt
    run     = "cp {input} {output}"

report all:
    inputs  = out/**/*.txt
    output  = ALL.md
    summary = false
"""


def test_a_directory_moved_in_renamed_or_out_is_seen(tmp_path: Path) -> None:
    project = _project(tmp_path, TREE, {"src/a/1.txt": "a1\n"})
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "b").mkdir(parents=True)
    (elsewhere / "b/2.txt").write_text("b2\n")
    w = Watch(project, tmp_path / "unused.log")
    try:
        _wait(lambda: len(w.summaries()) == 1, "the first build", w)
        (elsewhere / "b").rename(project / "src/b")  # one inotify event: the directory
        _wait(lambda: len(w.summaries()) == 2, "a build for the directory moved in", w)
        assert (project / "out/b/2.txt").read_text() == "b2\n"
        (project / "src/b").rename(project / "src/c")
        _wait(lambda: len(w.summaries()) == 3, "a build for the renamed directory", w)
        assert (project / "out/c/2.txt").read_text() == "b2\n"
        assert "out/c/2.txt" in (project / "ALL.md").read_text()
        (project / "src/c").rename(elsewhere / "c")
        _wait(lambda: "each:c,2 dropped" in w.stderr(), "the task of the directory moved out to go", w)
        assert "its output out/c/2.txt is left in place" in w.stderr()  # (leftovers are the user's call)
    finally:
        assert w.stop() == 130


def test_undoing_a_hand_edit_of_an_output_rebuilds_what_reads_it(
    make_project: Callable[..., tuple[Path, Path]],
) -> None:
    project, log = make_project({"a": "alpha\n"})
    w = Watch(project, log)
    try:
        _wait(lambda: len(w.summaries()) == 1, "the first build", w)
        original = (project / "build/a.txt").read_text()
        write(project / "build/a.txt", original + "by hand\n")
        _wait(lambda: len(w.summaries()) == 2, "the rebuild of the report", w)
        assert "by hand" in (project / "REPORT.md").read_text()
        write(project / "build/a.txt", original)  # undo: the report was built from the edit
        _wait(lambda: len(w.summaries()) == 3, "the rebuild after the undo", w)
        assert "by hand" not in (project / "REPORT.md").read_text()
        assert w.runs() == ["copy:a"]  # the copy itself never reran
    finally:
        assert w.stop() == 130


def test_a_burst_of_saves_over_a_second_is_one_build(make_project: Callable[..., tuple[Path, Path]]) -> None:
    project, log = make_project({"a": "alpha\n"})
    w = Watch(project, log)
    try:
        _wait(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build", w)
        spans = []  # (just before, just after) each save: its event lies between
        for i in range(20):  # an editor saving every 50 ms for a second
            before = time.monotonic()
            write(project / "docs/a.md", f"alpha {i}\n")
            spans.append((before, time.monotonic()))
            time.sleep(0.05)
        # Watch builds once it has seen no save for QUIET_MS after a batch (at least 50 ms after a save: 150
        # in all), or once the oldest save has waited MAX_WAIT. A loaded machine can hold the test itself
        # still that long between two saves (counted from QUIET_MS: a margin for watch's own delays): then
        # a build at that moment is right, and each such moment may add one; nothing else may.
        held = sum(after - before >= QUIET_MS / 1000 for (before, _), (_, after) in pairwise(spans))
        held += int((spans[-1][1] - spans[0][0]) // MAX_WAIT)
        if held == 0:
            _wait(lambda: len(w.summaries()) == 2, "the build", w)
            w.quiet(1.5)
            assert w.runs() == ["copy:a", "copy:a"]
        else:  # (a build under way as saves go on reruns copy:a, or fails it: it "kept changing")
            _wait(lambda: "alpha 19" in (project / "REPORT.md").read_text(), "the last save to be built", w)
            builds = _settled(w)
            assert 1 <= builds - 1 <= 1 + held, (held, w.summaries())
            # (the last may run the report alone: one before it built copy:a last and was cut short)
            assert w.summaries()[-1][3] == 0 and set(w.runs()) == {"copy:a"}
        assert (project / "build/a.txt").read_text() == "alpha 19\n"
    finally:
        assert w.stop() == 130


def _settled(w: Watch, quiet: float = 1.5, timeout: float = 30.0) -> int:
    """How many builds watch has made, once no new one has come for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    n = len(w.summaries())
    while True:
        time.sleep(quiet)
        now = len(w.summaries())
        if now == n:
            return n
        assert time.monotonic() < deadline, f"builds kept coming: {w.summaries()}"
        n = now


def test_a_renamed_agent_is_not_said_to_leave_its_output_behind(
    make_project: Callable[..., tuple[Path, Path]],
) -> None:
    project, log = make_project({"a": "alpha\n"})
    w = Watch(project, log)
    try:
        _wait(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build", w)
        text = (project / "Agentfile").read_text()
        write(project / "Agentfile", text.replace("agent copy:", "agent copier:"))
        _wait(lambda: "dropped" in w.stderr(), "the dropped task to be reported", w)
        assert "task copy:a dropped (no longer in the Agentfile)" in w.stderr()
        assert "left in place" not in w.stderr()  # build/a.txt is copier:a's output now
    finally:
        assert w.stop() == 130


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., tuple[Path, Path]]:
    from test_watch import AGENTFILE

    def make(docs: dict[str, str], sleep: str = "") -> tuple[Path, Path]:
        log = tmp_path / "runs.log"
        files = {f"docs/{name}.md": text for name, text in docs.items()}
        return _project(tmp_path, AGENTFILE.format(log=log, sleep=sleep), files), log

    return make


def test_cancel_requests_for_one_task_add_up() -> None:
    from agentmake.scheduler import BuildControl

    control = BuildControl()
    control.cancel("a", "docs/a.md changed", "docs/a.md")
    control.cancel("a", "prompts/t.md changed", "prompts/t.md")
    control.cancel("b", "docs/b.md changed", "docs/b.md")
    control.cancel("b", "stop it")  # a request without a path cancels whatever the paths say
    control.cancel("b", "docs/b.md changed", "docs/b.md")
    assert control.take() == {
        "a": ("prompts/t.md changed", frozenset({"docs/a.md", "prompts/t.md"})),
        "b": ("docs/b.md changed", None),
    }
    assert control.take() == {}


def test_watch_warns_of_a_leftover_a_task_still_reads_once(
    make_project: Callable[..., tuple[Path, Path]],
) -> None:
    project, log = make_project({"a": "alpha\n", "c": "gamma\n"})
    w = Watch(project, log)
    warning = "build/c.txt is left over from copy:c, which is no longer in the graph, and all reads it"
    try:
        _wait(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build", w)
        (project / "docs/c.md").unlink()  # copy:c goes; its output stays, and the report's glob reads it
        _wait(lambda: warning in w.stderr(), "the leftover warning, as a plain build gives it", w)
        n = len(w.summaries())
        write(project / "docs/a.md", "alpha 2\n")
        _wait(lambda: len(w.summaries()) > n, "the next build", w)
        assert w.stderr().count(warning) == 1  # said once in the session, not at every build
    finally:
        assert w.stop() == 130
