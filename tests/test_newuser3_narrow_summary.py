"""On a terminal narrower than the end-of-build summary table (long fan-out ids: `translate:{name},{lang}`
over long file names), each row of the table wrapped onto the next line, and so did every permanent
`✓ done <id>` line, its id moved whole under the state with nothing beside it. Now, on a terminal, the
table's task column is narrowed to fit and such ids are cut in the middle (as the live table cuts them);
in a pipe the table is as it was, ids whole. (And the progress line's ETA of a task being retried.)"""

from __future__ import annotations

import io
import re

from rich.console import Console

from agentmake.display import LiveDisplay, summary_lines
from agentmake.display.fmt import cell_width
from agentmake.scheduler.events import BuildResult, TaskEvent, TaskOutcome

T0 = 1_700_000_000.0
SGR = re.compile(r"\x1b\[[0-9;]*m")
CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")  # (cursor moves, erasures: where a line ends)
IDS = [
    f"translate:{doc},{lang}"
    for doc in ("a-very-long-document-name-about-installation-on-linux-and-macos", "intro")
    for lang in ("fr", "pt_BR_with_a_long_locale_name")
]


def result() -> BuildResult:
    outcomes = {t: TaskOutcome(t, "done", T0, T0 + 2.0, 1, 0.0001) for t in IDS}
    return BuildResult(run_id=1, outcomes=outcomes, started_at=T0, ended_at=T0 + 2.0)


def finished_on_terminal(width: int) -> list[str]:
    err = io.StringIO()
    console = Console(file=err, force_terminal=True, width=width, height=30, color_system=None)
    display = LiveDisplay(console, summary_stream=io.StringIO(), clock=lambda: T0 + 1.0)
    display.begin(IDS)
    for task_id in IDS:
        display(TaskEvent(task_id, "running", T0, 1, 1))
    for task_id in IDS:
        display(TaskEvent(task_id, "done", T0 + 2.0, 1, 1))
    display.close(result())
    text = CONTROL.sub("\n", SGR.sub("", err.getvalue()))
    lines = [line for line in text.splitlines() if line.strip()]
    # what was printed for good: from the first finished line on (before it, frames of the live table)
    return lines[next(i for i, line in enumerate(lines) if "✓ done" in line) :]


def test_the_summary_table_and_finished_lines_do_not_wrap_at_80_columns() -> None:
    lines = finished_on_terminal(80)
    assert all(cell_width(line) <= 80 for line in lines), lines
    rows = [line for line in lines if line.startswith("translate:")]
    assert len(rows) == len(IDS), lines  # one line per row: none wrapped
    for row in rows:
        assert row.split()[1:] == ["done", "2.0s", "1", "$0.0001"], row
    assert len({row.split()[0] for row in rows}) == len(IDS), rows  # still told apart
    assert any(row.startswith("translate:intro,fr ") for row in rows), rows  # what fits is whole
    header = next(line for line in lines if line.startswith("task "))
    assert {row.index(" done ") + 1 for row in rows} == {header.index("state")}, [header, *rows]
    done = [line for line in lines if line.startswith("✓ done")]
    assert len(done) == len(IDS), lines  # each finished line on one line, its id beside its state
    assert all(line.split()[2].startswith("translate:") and line.endswith("2.0s") for line in done), done


def test_a_wide_terminal_and_a_pipe_keep_every_id_whole() -> None:
    lines = finished_on_terminal(200)
    for task_id in IDS:
        assert any(line.startswith(task_id + " ") for line in lines), lines
        assert any(line.split()[2:3] == [task_id] for line in lines if line.startswith("✓")), lines
    piped = summary_lines(result())  # (no width: a pipe or a log)
    for task_id in IDS:
        assert any(line.startswith(task_id + " ") for line in piped), piped


def test_a_short_detail_stays_beside_a_cut_id_and_a_long_one_wraps_after_it() -> None:
    err = io.StringIO()
    console = Console(file=err, force_terminal=True, width=80, height=30, color_system=None)
    display = LiveDisplay(console, summary_stream=io.StringIO(), clock=lambda: T0 + 1.0)
    display.begin(IDS)
    display(TaskEvent(IDS[0], "running", T0, 1, 1))
    display(TaskEvent(IDS[0], "failed", T0 + 1.0, 1, 1, message="exited with code 3: " + "no " * 30))
    for task_id in IDS[1:]:
        display(TaskEvent(task_id, "not-run", T0 + 1.0, message="build interrupted"))
    display.close(BuildResult(run_id=1, started_at=T0, ended_at=T0 + 2.0, interrupted=True))
    lines = [line for line in CONTROL.sub("\n", SGR.sub("", err.getvalue())).splitlines() if line.strip()]
    not_run = [line for line in lines if line.startswith("– not run")]
    assert len(not_run) == 3 and all(line.endswith("  build interrupted") for line in not_run), lines
    assert all(cell_width(line) <= 80 for line in not_run), not_run
    failed = next(i for i, line in enumerate(lines) if line.startswith("✗ failed"))
    # the id keeps its columns (30 at least) and the message goes on after it, on the lines below
    assert lines[failed].split()[2].startswith("translate:a-very-long-docu"), lines[failed]
    assert "exited with code 3" in lines[failed] + lines[failed + 1], lines


def test_the_eta_counts_a_retry_as_a_whole_attempt_again() -> None:
    """(newuser3) A task failing and retried showed `ETA 0.0s` for as long as its retries took: its time was
    counted from its first start against one attempt's estimate. A retry's wait and its new attempt count."""
    display = LiveDisplay(
        Console(file=io.StringIO(), force_terminal=True, width=80), summary_stream=io.StringIO(),
        estimates={"t": 2.0}, clock=lambda: T0,
    )  # fmt: skip
    display(TaskEvent("t", "running", T0, 1, 3))
    assert display.eta(T0 + 1.0) == 1.0  # (one attempt: its estimate less its time)
    display(TaskEvent("t", "retrying", T0 + 2.5, 1, 3, retry_in=1.0, message="exited with code 3"))
    assert display.eta(T0 + 3.0) == 0.5 + 2.0  # the wait left, then a whole attempt
    display(TaskEvent("t", "running", T0 + 3.5, 2, 3))
    assert display.eta(T0 + 4.0) == 1.5  # the second attempt's own time, not the task's since T0
    display.abort("test")


def test_a_line_does_not_say_its_state_twice() -> None:
    """(newuser3) After a Ctrl-C: `interrupted translate:intro,fr  (interrupted)` (plain) and `⏹ interrupted
    translate:intro,fr  interrupted` (live): the message said the state again. A message that says more is
    kept (`cancelled: prompts/translate.md changed`)."""
    from agentmake.display.plain import PlainDisplay, describe

    assert describe(TaskEvent("t", "interrupted", T0, message="interrupted")) == ""
    cancelled = TaskEvent("t", "interrupted", T0, message="cancelled: prompts/translate.md changed")
    assert describe(cancelled) == "cancelled: prompts/translate.md changed"
    out = io.StringIO()
    plain = PlainDisplay(out, summary_stream=io.StringIO())
    plain(TaskEvent("translate:intro,fr", "interrupted", T0, message="interrupted"))
    plain.close(BuildResult(run_id=1, started_at=T0, ended_at=T0 + 1.0, interrupted=True))
    line = next(line for line in out.getvalue().splitlines() if "translate:intro,fr" in line)
    assert line.rstrip().endswith("interrupted translate:intro,fr"), line
