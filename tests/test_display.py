"""Displays: the live view on a (pseudo-)terminal, plain lines in a pipe, silent mode, NO_COLOR, choice."""

from __future__ import annotations

import io
import os
import pty
import re
import sys
from collections.abc import Callable

import pytest
from rich.console import Console

from agentmake.display import Fanout, LiveDisplay, PlainDisplay, SilentDisplay, make_display
from agentmake.scheduler.events import BuildResult, TaskEvent, TaskOutcome

T0 = 1_700_000_000.0
SGR = re.compile(r"\x1b\[([0-9;]*)m")


def events() -> list[TaskEvent]:
    return [
        TaskEvent("scan:a", "pending", T0),
        TaskEvent("scan:b", "pending", T0),
        TaskEvent("report", "waiting", T0),
        TaskEvent("scan:a", "running", T0 + 0.1, attempt=1, max_attempts=3),
        TaskEvent("scan:b", "running", T0 + 0.1, attempt=1, max_attempts=3),
        TaskEvent(
            "scan:b",
            "retrying",
            T0 + 1.0,
            1,
            3,
            retry_in=4.0,
            message="429 rate limited",
            error_type="rate-limit",
            action="retrying in 4s",
        ),
        TaskEvent("scan:a", "done", T0 + 3.2, 1, 3),
        TaskEvent("scan:b", "running", T0 + 5.0, attempt=2, max_attempts=3),
        TaskEvent("scan:b", "failed", T0 + 6.0, 2, 3, message="exit 1: boom\nmore detail", error_type="exit"),
        TaskEvent("report", "not-run", T0 + 6.0, message="dependency scan:b failed"),
    ]


def result() -> BuildResult:
    return BuildResult(
        run_id=1,
        outcomes={
            "scan:a": TaskOutcome("scan:a", "done", T0 + 0.1, T0 + 3.2, 1, 0.25),
            "scan:b": TaskOutcome(
                "scan:b", "failed", T0 + 0.1, T0 + 6.0, 2, message="exit 1: boom\nmore detail"
            ),
            "report": TaskOutcome("report", "not-run", message="dependency scan:b failed"),
        },
        started_at=T0,
        ended_at=T0 + 6.0,
    )


SUMMARY = "agentmake: 1 ran, 0 cached, 0 up to date, 1 failed, 1 not run in 6.0s, $0.25"


def test_plain_display_says_pending_and_waiting_only_when_verbose() -> None:
    err = io.StringIO()
    display = PlainDisplay(err, summary_stream=io.StringIO())
    for event in events():
        display(event)
    display(TaskEvent("kept", "up-to-date", T0 + 6.0, message="its outputs in place pass the new check"))
    lines = err.getvalue().splitlines()
    assert lines[0] == "[   0.1s] running     scan:a"  # the clock still starts at the first event
    assert not [line for line in lines if " pending " in line or " waiting " in line]
    states = [line[10:21].rstrip() for line in lines if line.startswith("[")]
    # in words, as status.md, `agentmake status`, a report and the summary line say them (not the event names)
    assert states == ["running", "running", "retrying", "done", "running", "failed", "not run", "up to date"]
    assert "[   6.0s] not run     report  (dependency scan:b failed)" in lines
    # (up to date with something to tell: said, as a failure is; with nothing to tell, see below)
    assert "[   6.0s] up to date  kept  (its outputs in place pass the new check)" in lines


def test_plain_display_one_line_per_state_change_no_escape_codes() -> None:
    err, out = io.StringIO(), io.StringIO()
    display = PlainDisplay(err, summary_stream=out, verbose=True)
    for event in events():
        display(event)
    display(TaskEvent("scan:a", "done", T0 + 3.3, 1, 3))  # repeated state: no new line
    lines = err.getvalue().splitlines()
    assert len(lines[: len(events())]) == len(events())
    assert lines[0] == "[   0.0s] pending     scan:a"
    assert "[   0.0s] waiting     report" in lines
    assert "[   3.2s] done        scan:a" in lines
    assert "[   1.0s] retrying    scan:b  (attempt 2/3, next in 4.0s: 429 rate limited)" in lines
    assert "[   5.0s] running     scan:b  (attempt 2/3)" in lines
    assert "[   6.0s] failed      scan:b  (exit 1: boom)" in lines
    assert len([x for x in lines if x.startswith("[")]) == len(events())
    display.close(result())
    text = err.getvalue()
    assert "\x1b" not in text and "\x1b" not in out.getvalue()
    assert "✗ scan:b after 2 attempts: exit 1: boom" in text and "    more detail" in text
    assert "not run (1): report" in text
    table = [line for line in text.splitlines() if line.startswith("task ")]
    assert table == ["task                             state           time attempts     cost"]
    assert "scan:b                           failed          5.9s        2" in text.splitlines()
    assert out.getvalue() == SUMMARY + "\n"


def test_silent_display_prints_only_failures_and_the_summary_line() -> None:
    err, out = io.StringIO(), io.StringIO()
    display = SilentDisplay(err, summary_stream=out)
    for event in events():
        display(event)
    display.close(result())
    assert err.getvalue() == "agentmake: scan:b failed: exit 1: boom\nmore detail\n"
    assert out.getvalue() == SUMMARY + "\n"


def live(
    width: int = 100, max_rows: int | None = None, **kw: object
) -> tuple[LiveDisplay, io.StringIO, io.StringIO]:
    err, out = io.StringIO(), io.StringIO()
    console = Console(file=err, force_terminal=True, width=width, height=30, color_system="standard")
    return LiveDisplay(console, summary_stream=out, max_rows=max_rows, clock=lambda: T0 + 2.0, **kw), err, out  # type: ignore[arg-type]


def test_live_display_draws_rows_progress_and_permanent_lines() -> None:
    display, err, out = live(estimates={"scan:a": 4.0, "scan:b": 4.0, "report": 2.0})
    evs = events()
    for event in evs[:6]:
        display(event)
    display.tick()  # events draw at most every REFRESH_INTERVAL; the scheduler's tick draws the rest
    frame = err.getvalue()
    assert "\x1b[" in frame  # a terminal: control codes
    assert "scan:a" in frame and "running" in frame and "retrying" in frame
    assert "attempt 2/3, next in" in frame and "0/3" in frame
    assert "ETA" in frame
    before = len(err.getvalue())
    display.tick()  # redraws without an event
    assert len(err.getvalue()) > before
    for event in evs[6:]:
        display(event)
    display.close(result())
    text = SGR.sub("", err.getvalue())
    assert "✓ done        scan:a  3.1s" in text  # permanent line for the finished task
    assert "✗ failed      scan:b" in text and "exit 1: boom" in text
    assert "✗ scan:b after 2 attempts: exit 1: boom" in text  # the same summary as plain mode
    assert out.getvalue() == SUMMARY + "\n"


def test_live_display_height_is_bounded_but_running_tasks_always_show() -> None:
    display, _err, _out = live(max_rows=4)
    for i in range(30):
        display(TaskEvent(f"t{i:02d}", "pending", T0))
    for i in range(3):
        display(TaskEvent(f"t{i:02d}", "running", T0 + 0.5, 1, 1))
    frame = display._render()
    console = Console(file=io.StringIO(), width=100, force_terminal=False)
    with console.capture() as cap:
        console.print(frame)
    shown = cap.get()
    lines = shown.splitlines()
    assert all(f"t{i:02d}" in shown for i in range(3))
    assert "t29" not in shown and "more queued" in shown
    assert len(lines) <= 4 + 2  # rows + the progress line (+ a possible wrap)
    assert "0/30" in shown


def test_eta_uses_estimates_spread_over_running_tasks() -> None:
    display, _err, _out = live(estimates={"a": 10.0, "b": 10.0, "c": 6.0})
    display(TaskEvent("a", "running", T0, 1, 1))  # clock says 2s elapsed: 8s left
    display(TaskEvent("b", "running", T0, 1, 1))  # 8s left
    display(TaskEvent("c", "pending", T0))  # 6s
    assert display.eta(T0 + 2.0) == pytest.approx((8 + 8 + 6) / 2)
    display(TaskEvent("d", "pending", T0))  # unknown: the mean of the estimates
    assert display.eta(T0 + 2.0) == pytest.approx((8 + 8 + 6 + 26 / 3) / 2)
    no_estimates, _e, _o = live()
    no_estimates(TaskEvent("x", "pending", T0))
    assert no_estimates.eta(T0) is None


def test_no_color_keeps_colours_out_of_the_live_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    err, out = io.StringIO(), io.StringIO()
    display = make_display(err, force_terminal=True, summary_stream=out)
    assert isinstance(display, LiveDisplay)
    for event in events():
        display(event)
    display.close(result())
    params = [p for m in SGR.finditer(err.getvalue()) for p in m.group(1).split(";") if p]
    colours = [p for p in params if p.isdigit() and (30 <= int(p) <= 49 or 90 <= int(p) <= 107)]
    assert "\x1b[" in err.getvalue() and not colours
    assert out.getvalue() == SUMMARY + "\n"


def test_colour_is_used_without_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    display, err, _out = live()
    for event in events():
        display(event)
    params = [p for m in SGR.finditer(err.getvalue()) for p in m.group(1).split(";") if p]
    assert any(p.isdigit() and 30 <= int(p) <= 37 for p in params)


def test_make_display_decides_once_from_the_stream_and_environment() -> None:
    pipe = io.StringIO()
    assert isinstance(make_display(pipe), PlainDisplay)
    assert isinstance(make_display(pipe, silent=True), SilentDisplay)
    assert isinstance(make_display(pipe, force_terminal=True), LiveDisplay)
    master, slave = pty.openpty()
    try:
        with os.fdopen(slave, "w", closefd=False) as tty:
            assert isinstance(make_display(tty, env={"TERM": "xterm-256color"}), LiveDisplay)
            assert isinstance(make_display(tty, env={"TERM": "dumb"}), PlainDisplay)
            assert isinstance(make_display(tty, env={"TERM": "xterm", "CI": "true"}), PlainDisplay)
            assert isinstance(make_display(tty, env={"TERM": "xterm"}, force_terminal=False), PlainDisplay)
    finally:
        os.close(master)
        os.close(slave)


def _live_in_pty(feed: Callable[[LiveDisplay, Callable[[], None]], None], summary: io.StringIO) -> str:
    """A live display on a pseudo-terminal: `feed(display, drain)` (call `drain()` after each event: a full
    terminal buffer would block the writer), then close it; returns what the terminal received."""
    master, slave = pty.openpty()
    chunks: list[bytes] = []
    try:
        with os.fdopen(slave, "w", encoding="utf-8", closefd=False) as tty:

            def drain() -> None:
                tty.flush()
                chunks.append(_drain(master))

            display = make_display(tty, env={"TERM": "xterm"}, summary_stream=summary)
            assert isinstance(display, LiveDisplay)
            feed(display, drain)
            display.close(result())
            drain()
    finally:
        os.close(master)
        os.close(slave)
    return b"".join(chunks).decode("utf-8", "replace")


def test_live_display_under_a_pseudo_terminal() -> None:
    out = io.StringIO()

    def feed(display: LiveDisplay, drain: Callable[[], None]) -> None:
        for event in events():
            display(event)
            drain()

    raw = _live_in_pty(feed, out)
    assert "\x1b[" in raw and "scan:a" in raw and "scan:b" in raw
    assert "✗ scan:b after 2 attempts" in SGR.sub("", raw)
    assert out.getvalue() == SUMMARY + "\n"


def test_stderr_lines_print_above_the_live_table() -> None:
    """`-v` streams agents' output to stderr while the table is drawn: each line must land on a cleared line
    above the table, not glued to the end of its progress bar."""

    def feed(display: LiveDisplay, drain: Callable[[], None]) -> None:
        for event in events()[:3]:
            display(event)
            drain()
        display.tick()  # (pending and waiting events do not draw the table)
        drain()
        sys.stderr.write("[scan:a] hello from the agent\n")
        sys.stderr.flush()
        display(events()[3])
        drain()

    raw = _live_in_pty(feed, io.StringIO())
    at = raw.index("[scan:a] hello from the agent")
    assert raw[:at].endswith("\x1b[2K") or raw[:at].endswith("\n"), repr(raw[max(0, at - 40) : at + 10])


def _drain(fd: int) -> bytes:
    import select

    data = b""
    while select.select([fd], [], [], 0.05)[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    return data


def test_fanout_sends_everything_to_every_sink() -> None:
    a_err, a_out, b_err, b_out = io.StringIO(), io.StringIO(), io.StringIO(), io.StringIO()
    fan = Fanout(PlainDisplay(a_err, summary_stream=a_out))
    fan.add(PlainDisplay(b_err, summary_stream=b_out))
    for event in events():
        fan(event)
    fan.tick()
    fan.close(result())
    assert a_err.getvalue() == b_err.getvalue() and "done        scan:a" in a_err.getvalue()
    assert a_out.getvalue() == b_out.getvalue() == SUMMARY + "\n"


def test_the_summary_table_lines_up_under_wide_task_ids() -> None:
    from agentmake.display import summary_lines
    from agentmake.display.fmt import ljust_cells
    from agentmake.scheduler import BuildResult, TaskOutcome

    assert (
        ljust_cells("日本", 6) == "日本  "
        and ljust_cells("ab", 4) == "ab  "
        and ljust_cells("e\u0301", 2) == "e\u0301 "
    )
    outcomes = [
        TaskOutcome(t, "done", started_at=1.0, ended_at=2.0, attempts=1) for t in ("up:日本語", "up:abc")
    ]
    result = BuildResult(run_id=1, outcomes={o.task_id: o for o in outcomes}, started_at=0.0, ended_at=3.0)
    rows = [ln for ln in summary_lines(result) if ln.startswith("up:")]
    # the state column starts at the same terminal column in both rows (a CJK character is two columns)
    starts = [
        len(r[: r.index("done")]) + sum(1 for c in r[: r.index("done")] if "\u3000" <= c <= "\u9fff")
        for r in rows
    ]
    assert len(set(starts)) == 1, rows


def test_the_summary_table_columns_stay_in_line_under_a_task_id_longer_than_the_column() -> None:
    from agentmake.display import summary_lines
    from agentmake.scheduler import BuildResult, TaskOutcome

    long_id = "translate_documents:a_very_long_document_name_that_goes_on"  # (58 characters, the column 32)
    outcomes = [
        TaskOutcome(long_id, "done", started_at=1.0, ended_at=2.0, attempts=1, cost_usd=0.25),
        TaskOutcome("scan:a", "failed", started_at=1.5, ended_at=4.0, attempts=3, cost_usd=1.5),
    ]
    result = BuildResult(run_id=1, outcomes={o.task_id: o for o in outcomes}, started_at=0.0, ended_at=4.0)
    lines = summary_lines(result)
    at = lines.index(next(ln for ln in lines if ln.startswith("task ")))
    header, rows = lines[at], lines[at + 1 : at + 3]
    # (in the natural order of their ids: heldux29)
    assert rows[1].startswith(long_id + " ") and rows[0].startswith("scan:a ")  # (the id is not cut)
    # every column starts where its header does, in both rows: the long id widened the column, not one row
    assert rows[1].index(" done ") + 1 == rows[0].index(" failed ") + 1 == header.index("state")
    assert {len(row) for row in rows} == {len(header)}  # time, attempts and cost end under theirs
    assert rows[0][header.index("state") :].split() == ["failed", "2.5s", "3", "$1.50"]


@pytest.mark.parametrize(("error_type", "said"), [("rate-limit", "rate limit"), ("overloaded", "overloaded")])
def test_a_lowered_cap_is_said_as_the_signal_that_lowered_it(error_type: str, said: str) -> None:
    """A 529 or a 5xx lowers a runner's cap as a 429 does; its line says "overloaded", not "rate limit"."""
    err = io.StringIO()
    display = PlainDisplay(err, summary_stream=io.StringIO())
    display(TaskEvent("a", "running", 0.0, 1, 3))
    action = "retrying in 2.0s; cap for claude lowered to 2"
    display(TaskEvent("a", "retrying", 1.0, 1, 3, 2.0, "HTTP 529", error_type, action))
    (line,) = [x for x in err.getvalue().splitlines() if "cap for claude lowered to 2" in x]
    assert said in line and ({"rate limit", "overloaded"} - {said}).pop() not in line


def test_plain_display_times_never_go_back_when_events_arrive_out_of_time_order() -> None:
    """A start is timed before its process is spawned, and another worker's end may be told meanwhile: the
    log said `[   0.4s] done a` then `[   0.3s] running b` (newuser6). A line never says an earlier time
    than the line before it."""
    err = io.StringIO()
    display = PlainDisplay(err, summary_stream=io.StringIO())
    display(TaskEvent("a", "running", T0))
    display(TaskEvent("a", "done", T0 + 0.4))
    display(TaskEvent("b", "running", T0 + 0.3))  # (told after a's end, timed before it)
    display(TaskEvent("b", "done", T0 + 1.2))
    assert err.getvalue().splitlines() == [
        "[   0.0s] running     a",
        "[   0.4s] done        a",
        "[   0.4s] running     b",
        "[   1.2s] done        b",
    ]
