"""What a new user sees in the terminal: the live table keeps one line per task and its progress line within
the terminal, whatever the retry messages and the terminal's width."""

from __future__ import annotations

import io

from rich.console import Console

from agentmake.display import LiveDisplay
from agentmake.scheduler.events import TaskEvent

T0 = 1_700_000_000.0
LONG = (
    'server overloaded or failing: API Error: 500 {"type":"error","error":{"type":"api_error",'
    '"message":"Internal server error"}}'
)


def frame_lines(display: LiveDisplay, width: int) -> list[str]:
    """The table as the terminal gets it (rich's Live crops what is taller than the terminal)."""
    console = Console(file=io.StringIO(), width=width, force_terminal=False)
    with console.capture() as cap:
        console.print(display._render())
    return cap.get().splitlines()


def test_retrying_rows_with_long_messages_keep_the_progress_line_on_screen() -> None:
    height = 14
    console = Console(file=io.StringIO(), force_terminal=True, width=80, height=height)
    display = LiveDisplay(console, summary_stream=io.StringIO(), clock=lambda: T0 + 2.0)
    ids = [f"sum:d{i}" for i in range(12)]
    display.begin(ids)
    for task_id in ids[:6]:
        display(TaskEvent(task_id, "retrying", T0, 1, 4, retry_in=1.0, message=LONG))
    display.abort("test")  # (stop the live view the events started: the frame is rendered below)
    lines = frame_lines(display, 80)
    assert len(lines) <= height  # what fits: nothing cropped, the progress line included
    assert "0/12" in lines[-1] and "6 retrying" in lines[-1]
    assert sum("retrying" in line for line in lines[:-1]) == 6  # one line each
    assert any("more queued" in line for line in lines)


def test_the_queued_count_does_not_widen_the_state_column_of_a_narrow_terminal() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=40, height=10)
    display = LiveDisplay(console, summary_stream=io.StringIO(), clock=lambda: T0 + 2.0)
    ids = [f"translate:{name}" for name in ("changelog", "faq", "quickstart", "a", "b", "c", "d", "e", "f")]
    display.begin(ids)
    display(TaskEvent(ids[0], "running", T0, 1, 1))
    display.abort("test")
    lines = frame_lines(display, 40)
    running = next(line for line in lines if "running" in line)
    assert "running translate:changelog" in running  # the state column is as wide as its words
    assert any("more queued" in line for line in lines)
    assert len(lines) <= 10 and "0/9" in lines[-1]  # the progress line is one line too, and the last


def test_on_a_narrow_terminal_every_row_and_the_progress_stay_one_line() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=40, height=12)
    display = LiveDisplay(console, summary_stream=io.StringIO(), clock=lambda: T0 + 2.0)
    ids = [f"review:src/module_{i}_with_a_long_name.py" for i in range(20)]
    display.begin(ids)
    display(TaskEvent(ids[0], "done", T0, 1, 1))
    display(TaskEvent(ids[1], "failed", T0, 1, 1, message=LONG))
    display(TaskEvent(ids[2], "not-run", T0))
    for task_id in ids[3:6]:
        display(TaskEvent(task_id, "retrying", T0, 1, 4, retry_in=1.0, message=LONG))
    display(TaskEvent(ids[6], "running", T0, 1, 1))
    display.abort("test")
    lines = frame_lines(display, 40)
    assert len(lines) <= 12 - 1
    assert "3/20" in lines[-1]
    assert all(len(line.rstrip()) <= 40 for line in lines)


def test_the_progress_line_counts_interrupted_tasks() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=100, height=20)
    display = LiveDisplay(console, summary_stream=io.StringIO(), clock=lambda: T0 + 2.0)
    ids = [f"sum:d{i}" for i in range(5)]
    display.begin(ids)
    for task_id in ids[:2]:
        display(TaskEvent(task_id, "interrupted", T0, 1, 1, message="interrupted"))
    for task_id in ids[2:]:
        display(TaskEvent(task_id, "not-run", T0, message="build interrupted"))
    display.abort("test")
    progress = frame_lines(display, 100)[-1]
    assert "5/5" in progress and "3 not run" in progress
    assert "2 interrupted" in progress  # every finished task is in a count


def test_tasks_found_up_to_date_up_front_do_not_draw_a_progress_total_short_of_the_build() -> None:
    # the scheduler announces the tasks it found up to date first, in bulk, then the others as pending: a
    # drawing in between showed `1/2  = 1 up to date  ETA …` for a build of three tasks
    from agentmake.scheduler.events import emit_up_to_date

    console = Console(file=io.StringIO(), force_terminal=True, width=100, height=20)
    display = LiveDisplay(console, summary_stream=io.StringIO(), clock=lambda: T0 + 2.0)
    emit_up_to_date(display, ["e:2", "e:3"], T0)
    assert display.draws == 0
    display(TaskEvent("e:1", "pending", T0))
    display(TaskEvent("e:1", "running", T0, 1, 1))
    display.abort("test")
    assert display.draws == 1
    assert "2/3" in frame_lines(display, 100)[-1] and "2 up to date" in frame_lines(display, 100)[-1]
