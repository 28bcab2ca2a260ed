"""`agentmake watch` as a real subprocess over a real directory with the real watcher.

Each shell agent appends a line to a run log outside the project (so the log itself is not a change), and
every build prints one summary line on stdout: the tests wait for the next summary line after each edit and
then check exactly which tasks ran.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

SUMMARY = re.compile(
    r"^agentmake: (\d+) ran, (\d+) cached, (\d+) up to date, (\d+) failed"
    r"(?:, \d+ interrupted)?(?:, \d+ not run)?(?:, \d+ partial)? in [\d.]+s"
)

AGENTFILE = """\
log = "{log}"

agent copy:
    inputs  = docs/{{name}}.md
    outputs = build/{{name}}.txt
    run     = "echo copy:{{name}} >> ${{log}} && {sleep}cp {{input}} {{output}}"

report all:
    inputs  = build/*.txt
    output  = REPORT.md
    summary = false

default = all
"""


class Watch:
    """A running `agentmake watch` with its stdout/stderr in files."""

    def __init__(self, project: Path, log: Path, out: Path | None = None) -> None:
        self.project, self.log = project, log
        self.out = (out or project.parent / "watch.out").open("w+")
        self.err = (project.parent / "watch.err").open("w+")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agentmake", "watch"],
            cwd=project,
            stdout=self.out,
            stderr=self.err,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "NO_COLOR": "1", "CI": "1"},
        )

    def summaries(self) -> list[tuple[int, ...]]:
        text = Path(self.out.name).read_text()
        return [tuple(int(g) for g in m.groups()) for m in map(SUMMARY.match, text.splitlines()) if m]

    def stderr(self) -> str:
        return Path(self.err.name).read_text()

    def runs(self) -> list[str]:
        return self.log.read_text().split() if self.log.exists() else []

    def wait_for(self, cond: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return
            assert self.proc.poll() is None, f"watch exited early: {self.stderr()}"
            time.sleep(0.05)
        raise AssertionError(
            f"timed out waiting for {what}; stderr:\n{self.stderr()}\nstdout:\n{self.out.name}"
        )

    def next_build(self, before: int, timeout: float = 20.0) -> tuple[int, ...]:
        self.wait_for(lambda: len(self.summaries()) > before, "a build", timeout)
        time.sleep(0.3)  # let a (wrong) second build show itself
        return self.summaries()[before]

    def quiet(self, seconds: float = 1.5) -> None:
        """Assert no build starts for `seconds`."""
        before = len(self.summaries())
        time.sleep(seconds)
        assert len(self.summaries()) == before, "an unexpected build ran"

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()
        self.err.close()
        return self.proc.returncode


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., tuple[Path, Path]]:
    def make(docs: dict[str, str], sleep: str = "") -> tuple[Path, Path]:
        project = tmp_path / "proj"
        (project / "docs").mkdir(parents=True)
        log = tmp_path / "runs.log"
        (project / "Agentfile").write_text(AGENTFILE.format(log=log, sleep=sleep))
        for name, text in docs.items():
            (project / "docs" / f"{name}.md").write_text(text)
        return project, log

    return make


def write(path: Path, text: str) -> None:
    path.write_text(text)


def test_watch_rebuilds_exactly_what_each_edit_made_stale(
    make_project: Callable[..., tuple[Path, Path]],
) -> None:
    project, log = make_project({"a": "alpha\n", "b": "beta\n"})
    w = Watch(project, log)
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        assert w.summaries()[0][:4] == (3, 0, 0, 0)  # copy:a, copy:b, the report
        assert sorted(w.runs()) == ["copy:a", "copy:b"]
        w.quiet(1.0)  # the directories and outputs the first build created are not changes

        # one input of the fan-out: that task and the report, nothing else
        write(project / "docs/a.md", "alpha 2\n")
        assert w.next_build(1)[:2] == (2, 0)
        assert w.runs()[2:] == ["copy:a"]
        assert "alpha 2" in (project / "REPORT.md").read_text()

        # touch without a content change: nothing runs
        os.utime(project / "docs/b.md")
        time.sleep(1.0)
        assert all(s[0] == 0 for s in w.summaries()[2:])
        assert len(w.runs()) == 3

        # a new matching file: one new task (and the report)
        n = len(w.summaries())
        write(project / "docs/c.md", "gamma\n")
        assert w.next_build(n)[0] == 2
        assert w.runs()[3:] == ["copy:c"]

        # a burst of saves is one rebuild (five writes back to back: with a pause between them, a loaded
        # machine can stretch one pause past the watcher's 120 ms window and split the burst in two)
        n = len(w.summaries())
        for i in range(5):
            write(project / "docs/b.md", f"beta {i}\n")
        assert w.next_build(n)[0] == 2
        w.quiet(1.0)
        assert w.runs()[4:] == ["copy:b"]
        assert (project / "build/b.txt").read_text() == "beta 4\n"

        # outputs and .agentmake/ written by the builds never triggered a build by themselves
        w.quiet(1.0)

        # a deleted source drops its task; its old output is reported, not deleted
        (project / "docs/c.md").unlink()
        w.wait_for(lambda: "copy:c dropped" in w.stderr(), "the dropped task to be reported")
        assert "build/c.txt is left in place" in w.stderr()
        assert (project / "build/c.txt").read_text() == "gamma\n"
        assert w.runs()[5:] == []
    finally:
        assert w.stop() == 130


def test_watch_keeps_last_good_agentfile_and_resumes_when_fixed(
    make_project: Callable[..., tuple[Path, Path]],
) -> None:
    project, log = make_project({"a": "alpha\n"})
    w = Watch(project, log)
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        good = (project / "Agentfile").read_text()
        write(project / "Agentfile", good.replace("inputs  = docs", "inptus  = docs", 1))
        w.wait_for(lambda: "error" in w.stderr() and "Agentfile:" in w.stderr(), "the error")
        assert re.search(r"Agentfile:\d+:\d+: error: .*inptus", w.stderr())
        assert "did you mean 'inputs'" in w.stderr()
        n = len(w.summaries())
        fixed = good.replace("build/{name}.txt", "build/{name}.copy").replace("build/*.txt", "build/*.copy")
        write(project / "Agentfile", fixed)
        assert w.next_build(n)[0] >= 1
        assert (project / "build/a.copy").read_text() == "alpha\n"
    finally:
        assert w.stop() == 130


def test_edit_during_a_run_cancels_and_reruns_that_task_once(
    make_project: Callable[..., tuple[Path, Path]], tmp_path: Path
) -> None:
    # (each attempt copies once `go` exists, made after the rerun started: a first attempt that was not
    # cancelled can never write, however long a loaded runner takes to see the edit; it slept 3 s)
    go = tmp_path / "go"
    project, log = make_project({"a": "first\n"}, sleep=f"until [ -e {go} ]; do sleep 0.05; done && ")
    w = Watch(project, log)
    try:
        w.wait_for(lambda: w.runs() == ["copy:a"], "the task to start")
        write(project / "docs/a.md", "second\n")
        w.wait_for(lambda: w.runs() == ["copy:a", "copy:a"], "the task to start again", timeout=30)
        assert not (project / "build/a.txt").exists()  # the cancelled attempt wrote nothing
        go.touch()
        w.wait_for(lambda: (project / "build/a.txt").exists(), "the rerun to finish", timeout=30)
        assert (project / "build/a.txt").read_text() == "second\n"
        # the cancelled build and the rerun each end with a summary line; then nothing more
        w.wait_for(lambda: len(w.summaries()) >= 2, "the rerun's summary line")
        assert w.summaries()[-1][0] == 2  # copy:a and the report
        w.quiet(1.5)
        assert w.runs() == ["copy:a", "copy:a"]
        leftovers = [p for p in project.rglob("*") if ".agentmake-tmp" in p.name]
        assert leftovers == []
    finally:
        assert w.stop() == 130


def test_a_log_written_inside_the_project_does_not_loop(
    make_project: Callable[..., tuple[Path, Path]],
) -> None:
    project, log = make_project({"a": "alpha\n"})
    w = Watch(project, log, out=project / "watch.log")  # where a user might redirect it: inside the project
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        w.quiet(2.0)  # its own summary line changed watch.log: no rebuild, no loop
        write(project / "docs/b.md", "beta\n")  # a new file that adds a task still builds
        assert w.next_build(1)[0] == 2
        assert w.runs().count("copy:b") == 1
    finally:
        assert w.stop() == 130


def test_a_broken_agentfile_at_start_says_watching_once(
    make_project: Callable[..., tuple[Path, Path]],
) -> None:
    project, log = make_project({"a": "alpha\n"})
    good = (project / "Agentfile").read_text()
    write(project / "Agentfile", good.replace("inputs  = docs", "inptus  = docs", 1))
    w = Watch(project, log)
    try:
        w.wait_for(lambda: "error" in w.stderr() and "watching" in w.stderr(), "the error")
        time.sleep(0.5)
        assert w.stderr().count("watching for changes") == 1, w.stderr()
        write(project / "Agentfile", good)
        assert w.next_build(0)[0] >= 1  # fixing it starts building
    finally:
        assert w.stop() == 130


def test_a_file_name_that_is_not_utf8_does_not_stop_watching(
    make_project: Callable[..., tuple[Path, Path]],
) -> None:
    """watchfiles raises on a path that is not valid UTF-8 (WatchfilesRustInternalError: Unable to decode
    path): the watcher thread used to die and watch never built again while it kept running. It now says so
    once, watches again, and looks at the whole project for what changed meanwhile; the file is skipped."""
    project, log = make_project({"a": "alpha\n"})
    bad = project / "docs" / os.fsdecode(b"\xff\xfe.md")  # would match docs/{name}.md
    w = Watch(project, log)
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        write(bad, "x\n")
        w.wait_for(lambda: "skipping docs/\\xff\\xfe.md" in w.stderr(), "the file to be skipped")
        assert "the file watcher failed" in w.stderr() and "\\xFF\\xFE.md" in w.stderr(), w.stderr()
        n = len(w.summaries())
        write(project / "docs/a.md", "alpha 2\n")
        w.wait_for(lambda: (project / "build/a.txt").read_text() == "alpha 2\n", "the edit to be built")
        # the bad file again, then an edit made while the watcher starts again: seen all the same
        write(bad, "y\n")
        time.sleep(0.3)
        write(project / "docs/a.md", "alpha 3\n")
        w.wait_for(lambda: (project / "build/a.txt").read_text() == "alpha 3\n", "the next edit to be built")
        assert w.runs().count("copy:a") == 3 and len(w.summaries()) > n
        err = w.stderr()
        assert err.count("the file watcher failed") == 1 and err.count("skipping docs/") == 1, err
        assert "Traceback" not in err and w.proc.poll() is None, err
    finally:
        assert w.stop() == 130


def test_watch_that_cannot_watch_says_why_and_exits(
    make_project: Callable[..., tuple[Path, Path]],
) -> None:
    """A directory whose name is not valid UTF-8: watchfiles cannot even start. watch exits non-zero with
    the reason, rather than running on without watching."""
    project, log = make_project({"a": "alpha\n"})
    (project / os.fsdecode(b"dir-\xfa")).mkdir()
    w = Watch(project, log)
    try:
        w.proc.wait(20)
        err = w.stderr()
        assert w.proc.returncode == 1, err
        assert "agentmake: error: cannot watch the project" in err and "dir-\\xFA" in err, err
        assert "not valid UTF-8" in err and "Traceback" not in err, err
    finally:
        w.stop()


def test_a_report_template_syntax_error_builds_nothing_until_fixed(
    make_project: Callable[..., tuple[Path, Path]],
) -> None:
    project, log = make_project({"a": "alpha\n"})
    af = project / "Agentfile"
    write(af, af.read_text().replace("    summary = false\n", "    summary = false\n    template = t.j2\n"))
    write(project / "t.j2", "{% for f in inputs %}{{ f.path }\n{% endfor %}")
    w = Watch(project, log)
    try:
        w.wait_for(lambda: "t.j2:1:1: error:" in w.stderr() and "watching" in w.stderr(), "the error")
        w.quiet(1.0)
        assert w.runs() == [] and w.summaries() == []  # (as a build: before any agent starts)
        write(project / "t.j2", "{% for f in inputs %}{{ f.path }}\n{% endfor %}")
        assert w.next_build(0)[:4] == (2, 0, 0, 0)
        assert w.runs() == ["copy:a"]
        assert (project / "REPORT.md").read_text() == "build/a.txt\n"
    finally:
        assert w.stop() == 130


HELD_AGENTFILE = """\
log = "{log}"
retries = 0

agent flaky:
    inputs  = docs/a.md
    outputs = build/a.txt
    run     = "echo flaky >> ${{log}} && {copy_started} grep -q fixed {{input}} && cp {{input}} {{output}}"

agent after:
    inputs  = build/a.txt
    outputs = build/after.txt
    run     = "cp {{input}} {{output}}"

agent copy:
    inputs  = docs/b.md
    outputs = build/b.txt
    run     = "echo copy >> ${{log}} && cp {{input}} {{output}}"
"""


# flaky ends only once copy has started (logged), at most 20 s later: without -k a failure stops new starts,
# and flaky failing before the scheduler had started copy (a few ms apart, or more on a loaded machine) made
# the first build "0 ran, 1 failed, 2 not run"
COPY_STARTED = "i=0; until grep -qx copy ${log} || [ $i -ge 400 ]; do i=$((i+1)); sleep 0.05; done;"


def held_project(tmp_path: Path) -> tuple[Path, Path]:
    """flaky fails until docs/a.md says "fixed" (not before copy has started); after reads its output; copy
    reads docs/b.md. The first build: copy done, flaky failed, after not run."""
    project, log = tmp_path / "proj", tmp_path / "runs.log"
    (project / "docs").mkdir(parents=True)
    (project / "Agentfile").write_text(HELD_AGENTFILE.format(log=log, copy_started=COPY_STARTED))
    (project / "docs/a.md").write_text("broken\n")
    (project / "docs/b.md").write_text("beta\n")
    return project, log


def test_a_build_with_a_failure_is_not_followed_by_another_of_its_own_accord(tmp_path: Path) -> None:
    # the first build made build/; under it is build/a.txt, which after reads and flaky failed to make:
    # missing, and read by no build, it is no change (it was taken for one, and flaky ran again unasked)
    project, log = held_project(tmp_path)
    w = Watch(project, log)
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        assert w.summaries()[0][:4] == (1, 0, 0, 1) and sorted(w.runs()) == ["copy", "flaky"]
        w.quiet(1.5)
        assert sorted(w.runs()) == ["copy", "flaky"]
    finally:
        assert w.stop() == 130


def test_a_failed_task_is_not_paid_for_again_by_an_edit_of_something_else(tmp_path: Path) -> None:
    """Watch reruns what an edit made stale: an edit of docs/b.md does not run again a task that failed
    with what it reads now (each time paying for the same failure); an edit of what it reads does."""
    project, log = held_project(tmp_path)
    w = Watch(project, log)
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        assert w.summaries()[0][:4] == (1, 0, 0, 1) and sorted(w.runs()) == ["copy", "flaky"]

        write(project / "docs/b.md", "beta 2\n")  # not what flaky reads: it is not tried again
        w.next_build(1)
        assert sorted(w.runs()) == ["copy", "copy", "flaky"], w.stderr()
        assert "flaky  (failed with what it reads now; tried again once that changes" in w.stderr()
        write(project / "docs/b.md", "beta 3\n")  # ...nor at the next one
        w.next_build(2)
        assert w.runs().count("flaky") == 1, w.stderr()

        write(project / "docs/a.md", "fixed\n")  # what it reads: tried again, and its dependent runs
        w.next_build(3)
        assert w.runs().count("flaky") == 2 and (project / "build/after.txt").read_text() == "fixed\n"
    finally:
        assert w.stop() == 130


def _processes_mentioning(text: str) -> list[int]:
    """Live processes whose command line contains `text` (a test's own temporary path)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if text in cmdline and state != "Z":
                found.append(int(entry.name))
    return found


@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=["SIGTERM", "SIGHUP", "SIGINT"]
)
def test_sigterm_sighup_or_sigint_to_an_idle_watch_stops_it_with_130_and_says_interrupted(
    make_project: Callable[..., tuple[Path, Path]], signum: int
) -> None:
    # left at their default action, they killed an idle watch on the spot (exit -15/-1 here, 143/129 in a
    # shell), its state never closed; Ctrl-C, and either signal during a build, ended with 130
    project, log = make_project({"a": "alpha\n"})
    w = Watch(project, log)
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        w.proc.send_signal(signum)
        assert w.proc.wait(15) == 130, w.stderr()
        assert "Traceback" not in w.stderr()
        # (and it says so, as a build stopped by any of them does, and every other command: it said nothing)
        assert w.stderr().endswith(
            "agentmake: watching for changes (Ctrl-C to stop)\nagentmake: interrupted\n"
        )
    finally:
        w.stop()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_or_sighup_during_a_watch_build_ends_the_agents_and_records_them(
    make_project: Callable[..., tuple[Path, Path]], signum: int
) -> None:
    project, log = make_project({"a": "alpha\n"}, sleep="sleep 60 && ")
    w = Watch(project, log)
    try:
        w.wait_for(lambda: w.runs() == ["copy:a"], "the agent to start")
        assert _processes_mentioning(str(log)), "the agent's shell is running"
        w.proc.send_signal(signum)
        assert w.proc.wait(15) == 130, w.stderr()
        assert w.summaries()[-1][:4] == (0, 0, 0, 0) and "interrupted" in w.stderr()
        assert _processes_mentioning(str(log)) == []  # its process group was ended
        status = subprocess.run(
            [sys.executable, "-m", "agentmake", "status"], cwd=project, capture_output=True, text=True
        )
        assert "interrupted: the last build was stopped" in status.stdout, status.stdout
    finally:
        w.stop()


def test_a_save_that_changes_nothing_builds_nothing_and_prints_nothing(
    make_project: Callable[..., tuple[Path, Path]],
) -> None:
    """A touch, a save of the same bytes, an edit undone before the build, a comment added to the
    Agentfile: each made a build that ran nothing and printed a `0 ran` summary (and, on a terminal, a
    table). None of them is a build now: nothing on stdout or stderr."""
    project, log = make_project({"a": "alpha\n", "b": "beta\n"})
    w = Watch(project, log)
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        said = w.stderr()
        os.utime(project / "docs/a.md")  # a touch
        w.quiet(1.0)
        write(project / "docs/b.md", "beta\n")  # the same bytes saved again
        w.quiet(1.0)
        write(project / "docs/a.md", "alpha, being edited\n")  # an edit undone within one burst of saves
        write(project / "docs/a.md", "alpha\n")
        w.quiet(1.0)
        os.utime(project / "Agentfile")
        w.quiet(1.0)
        write(project / "Agentfile", (project / "Agentfile").read_text() + "# a comment\n")
        w.quiet(1.0)
        assert w.stderr() == said and len(w.summaries()) == 1
        write(project / "docs/a.md", "alpha 2\n")  # a real edit still builds what it made stale
        assert w.next_build(1)[:3] == (2, 0, 1)
        assert sorted(w.runs()) == ["copy:a", "copy:a", "copy:b"]
    finally:
        assert w.stop() == 130


def test_a_touch_of_what_a_held_task_reads_builds_nothing(tmp_path: Path) -> None:
    # flaky failed with what docs/a.md holds: a touch of it is no reason to try again, nor to say so again
    project, log = held_project(tmp_path)
    w = Watch(project, log)
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        said = w.stderr()
        os.utime(project / "docs/a.md")
        os.utime(project / "docs/b.md")
        w.quiet(1.5)
        assert w.stderr() == said and sorted(w.runs()) == ["copy", "flaky"]
        write(project / "docs/a.md", "fixed\n")
        assert w.next_build(1)[:4] == (2, 0, 1, 0)
    finally:
        assert w.stop() == 130
