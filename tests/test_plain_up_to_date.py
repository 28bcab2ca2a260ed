"""In a pipe or CI log, tasks up to date are counted in one line, not named one by one (`-v` names them).

A fan-out of a thousand tasks with one input changed printed a thousand lines, all but one `up to date`:
noise in a CI log, where make says nothing of targets up to date. The plain display now writes one
`[   0.0s] 998 up to date` line for the tasks found up to date before the build starts, before the next line;
a build with nothing else to say (a whole no-op the build stamp could not answer) leaves it to its summary
line, as the stamp's no-op does. A task found up to date later is said only with something to tell.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.display import PlainDisplay
from agentmake.scheduler.events import BuildResult, TaskEvent, TaskOutcome

T0 = 1_700_000_000.0
COUNT = re.compile(r"^\[\s*[\d.]+s\] (\d+) up to date$", re.M)
EACH = re.compile(r"^\[\s*[\d.]+s\] up to date  (\S+)$", re.M)
COPIES = """\
agent copy:
    inputs  = docs/{name}.md
    outputs = build/{name}.md
    run     = "cp {input} {output}"
"""


def display(verbose: bool = False) -> tuple[PlainDisplay, io.StringIO, io.StringIO]:
    err, out = io.StringIO(), io.StringIO()
    return PlainDisplay(err, summary_stream=out, verbose=verbose), err, out


def test_tasks_found_up_to_date_up_front_are_one_line_written_before_the_next() -> None:
    plain, err, _ = display()
    plain.up_to_date(["a", "b", "c"], T0)
    assert err.getvalue() == "", "held until there is another line (a whole no-op says none)"
    plain(TaskEvent("d", "pending", T0 + 0.1))  # (not written without -v: nor is the count yet)
    assert err.getvalue() == ""
    plain(TaskEvent("d", "running", T0 + 0.5, attempt=1, max_attempts=1))
    assert err.getvalue().splitlines() == ["[   0.0s] 3 up to date", "[   0.5s] running     d"]


def test_verbose_names_each_task_up_to_date_and_counts_none() -> None:
    for verbose, said in ((False, ["[   0.0s] 2 up to date"]), (True, ["up to date  a", "up to date  b"])):
        plain, err, _ = display(verbose=verbose)
        plain.up_to_date(["a", "b"], T0)
        plain(TaskEvent("d", "running", T0 + 0.5, attempt=1, max_attempts=1))
        lines = [line.removeprefix("[   0.0s] ") if verbose else line for line in err.getvalue().splitlines()]
        assert lines[-len(said) - 1 :] == [*said, "[   0.5s] running     d"], (verbose, lines)
        assert bool(COUNT.search(err.getvalue())) is not verbose


def test_a_build_of_tasks_all_up_to_date_says_it_in_its_summary_line_alone() -> None:
    plain, err, out = display()
    plain.up_to_date(["a", "b"], T0)
    outcomes = {t: TaskOutcome(t, "up-to-date", ended_at=T0) for t in "ab"}
    plain.close(BuildResult(1, outcomes=outcomes, started_at=T0, ended_at=T0 + 0.1))
    assert err.getvalue() == ""
    assert out.getvalue() == "agentmake: 0 ran, 0 cached, 2 up to date, 0 failed in 0.1s\n"


def test_a_task_found_up_to_date_later_has_a_line_only_with_something_to_tell() -> None:
    plain, err, _ = display()
    plain(TaskEvent("cut", "up-to-date", T0))  # (early cutoff: what it reads came out the same)
    plain(TaskEvent("kept", "up-to-date", T0 + 1, message="its outputs in place pass the new check"))
    assert err.getvalue() == "[   1.0s] up to date  kept  (its outputs in place pass the new check)\n"


def test_the_count_is_written_when_the_build_ends_with_an_error() -> None:
    plain, err, _ = display()
    plain.up_to_date(["a"], T0)
    plain.abort("OSError: no space left on device")
    assert err.getvalue() == "[   0.0s] 1 up to date\n"


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", COPIES, dedent=False)
    for n in range(12):
        e2e.write(f"docs/d{n:02}.md", f"doc {n}\n")
    return e2e


def test_a_pipe_counts_the_tasks_up_to_date_in_one_line(e2e: E2E) -> None:
    first = e2e.am()
    assert first.code == 0 and first.summary.ran == 12, first
    assert "up to date" not in first.err, first  # (none up to date: no count either)
    e2e.write("docs/d03.md", "doc 3, edited\n")
    run = e2e.am()
    assert run.code == 0 and (run.summary.ran, run.summary.up_to_date) == (1, 11), run
    assert COUNT.findall(run.err) == ["11"] and not EACH.findall(run.err), run
    lines = run.err.splitlines()
    assert COUNT.match(lines[0]) and "running     copy:d03" in lines[1], run  # (before the first task starts)


def test_verbose_names_each_task_up_to_date_in_a_pipe(e2e: E2E) -> None:
    assert e2e.am().code == 0
    e2e.write("docs/d03.md", "doc 3, edited\n")
    quiet = e2e.am()
    assert COUNT.findall(quiet.err) == ["11"] and not EACH.findall(quiet.err), quiet  # (without -v)
    e2e.write("docs/d03.md", "doc 3, edited again\n")
    run = e2e.am("-v")
    assert run.code == 0 and run.summary.up_to_date == 11, run
    assert sorted(EACH.findall(run.err)) == [f"copy:d{n:02}" for n in range(12) if n != 3], run
    assert not COUNT.findall(run.err), run
    assert run.with_state("up-to-date") == {f"copy:d{n:02}" for n in range(12) if n != 3}, run


def test_a_whole_no_op_the_stamp_cannot_answer_prints_its_summary_line_alone(e2e: E2E) -> None:
    assert e2e.am().code == 0
    e2e.touch("docs/d05.md")  # (a newer mtime: the build stamp no longer vouches; every task is decided)
    run = e2e.am()
    assert run.code == 0 and run.summary.up_to_date == 12, run
    assert run.err == "", run
    assert run.out.startswith("agentmake: 0 ran, 0 cached, 12 up to date, 0 failed in "), run


def test_the_help_says_verbose_names_each_task_up_to_date() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "agentmake", "build", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "up-to-date tasks one by one" in " ".join(shown.split()), shown
