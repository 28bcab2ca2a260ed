"""The live display's cost and correctness: an event only updates its state (in constant time: no scan of all
tasks) and draws at most every REFRESH_INTERVAL, one layout per drawing; the totals, the queue order and the
ETA it keeps as events arrive match a recount; a Ctrl-C burst of "not run" events draws a bounded number of
times; and what the terminal shows after the build (finished lines, summary) is whole and in order."""

from __future__ import annotations

import io
import random
import re
import sys

import pytest
from rich.console import Console

from agentmake.display import LiveDisplay
from agentmake.display.fmt import ACTIVE, FINISHED
from agentmake.display.live import REFRESH_INTERVAL
from agentmake.scheduler.events import BuildResult, TaskEvent, TaskOutcome

T0 = 1_700_000_000.0
SGR = re.compile(r"\x1b\[[0-9;]*m")
STATES = ["pending", "waiting", "running", "retrying", "done", "failed", "cached", "up-to-date", "not-run",
          "interrupted"]  # fmt: skip


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class CountingWrites(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, s: str) -> int:
        self.writes += 1
        return super().write(s)


class Counting(LiveDisplay):
    """Counts the layouts of the table (`_render`)."""

    renders = 0

    def _render(self):  # type: ignore[no-untyped-def]
        self.renders += 1
        return super()._render()


class ScanCounting(dict):  # type: ignore[type-arg]
    """A `rows` dict that counts every walk over it."""

    scans = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        self.scans += 1
        return super().__iter__()

    def items(self):  # type: ignore[no-untyped-def]
        self.scans += 1
        return super().items()

    def values(self):  # type: ignore[no-untyped-def]
        self.scans += 1
        return super().values()

    def keys(self):  # type: ignore[no-untyped-def]
        self.scans += 1
        return super().keys()


def make(mono: Clock, **kw: object) -> tuple[Counting, CountingWrites, io.StringIO]:
    err, out = CountingWrites(), io.StringIO()
    console = Console(file=err, force_terminal=True, width=100, height=30, color_system="standard")
    display = Counting(console, summary_stream=out, clock=lambda: T0 + 2.0, monotonic=mono, **kw)  # type: ignore[arg-type]
    return display, err, out


def done_result(ids: list[str], state: str = "done") -> BuildResult:
    outcomes = {t: TaskOutcome(t, state, T0, T0 + 1.0, 1) for t in ids}
    return BuildResult(1, outcomes, T0, T0 + 1.0)


def test_events_only_update_the_state_and_draw_at_most_every_refresh_interval() -> None:
    mono = Clock(100.0)
    display, err, _out = make(mono)
    ids = [f"copy:{i:04d}" for i in range(1000)]
    base_renders, base_writes = display.renders, err.writes
    for task_id in ids:
        display(TaskEvent(task_id, "pending", T0))
    for task_id in ids[500:]:
        display(TaskEvent(task_id, "waiting", T0))
    assert display.draws == 0 and display.renders == base_renders  # pending and waiting never draw
    assert err.writes <= base_writes + 1  # (starting the live view hides the cursor)
    writes = err.writes
    for task_id in ids:  # a whole build within one refresh interval: one drawing, at the first event
        display(TaskEvent(task_id, "running", T0 + 0.1, 1, 1))
        display(TaskEvent(task_id, "done", T0 + 0.2, 1, 1))
    assert display.draws == 1
    assert display.renders == base_renders + 1  # one layout per drawing (the finished lines go with it)
    assert err.writes == writes + 1
    mono.now += REFRESH_INTERVAL
    display(TaskEvent(ids[0], "done", T0 + 0.3, 2, 1))
    assert display.draws == 2
    display.tick()  # a tick always draws (the scheduler ticks every 0.2 s)
    assert display.draws == 3 and display.renders == base_renders + 3
    display.close(done_result(ids))
    text = SGR.sub("", err.getvalue())
    assert all(text.count(f"✓ done        {t}  ") == 1 for t in ids[1:])  # every finished line, once
    assert text.count(f"✓ done        {ids[0]}  ") == 2  # (its attempt changed: a second line)


def test_no_event_or_drawing_walks_over_all_the_tasks() -> None:
    mono = Clock(100.0)
    display, _err, _out = make(mono, estimates={f"t{i:04d}": 1.0 for i in range(0, 2000, 2)})
    rows = display.rows = ScanCounting()
    for i in range(2000):
        display(TaskEvent(f"t{i:04d}", "pending", T0))
    for i in range(2000):
        display(TaskEvent(f"t{i:04d}", "running", T0 + 0.1, 1, 1))
        display(TaskEvent(f"t{i:04d}", "done", T0 + 0.5, 1, 1))
        if i % 100 == 0:
            mono.now += REFRESH_INTERVAL
            display.tick()
            assert display.eta(T0 + 2.0) is not None
    assert display.draws >= 20
    assert rows.scans == 0


def expected_eta(display: LiveDisplay, now: float) -> float | None:
    """The ETA recounted over every task (what the display computed on every event before)."""
    known = list(display.estimates.values())
    observed = [
        r.since - r.started for r in display.rows.values() if r.state == "done" and r.started is not None
    ]
    pool = known or observed
    fallback = sum(pool) / len(pool) if pool else None
    remaining, running = 0.0, 0
    for task_id, row in display.rows.items():
        if row.state in FINISHED:
            continue
        estimate = display.estimates.get(task_id, fallback)
        if estimate is None:
            return None
        if row.state == "retrying":  # (its wait left, then a whole attempt again)
            running += 1
            remaining += max((row.retry_in or 0.0) - (now - row.since), 0.0) + estimate
        elif row.state in ACTIVE:  # (an attempt after the first: its own time)
            running += 1
            remaining += max(
                estimate - (now - (row.since if row.attempt > 1 else row.started or row.since)), 0.0
            )
        else:
            remaining += estimate
    return remaining / max(running, 1)


def shown(display: LiveDisplay) -> tuple[list[str], str]:
    """(task ids of the table's rows, top to bottom; its progress line) as the terminal would show them."""
    console = Console(file=io.StringIO(), width=200, force_terminal=False)
    with console.capture() as cap:
        console.print(display._render())
    lines = cap.get().splitlines()
    ids = [line.split()[2] for line in lines[:-1] if "more queued" not in line]
    return ids, lines[-1]


@pytest.mark.parametrize("seed", range(40))
def test_the_running_totals_match_a_recount(seed: int) -> None:
    rng = random.Random(seed)
    tasks = [f"t{i:02d}" for i in range(rng.randint(1, 25))]
    estimates = {t: rng.uniform(0.5, 9.0) for t in tasks if rng.random() < 0.5} if seed % 3 else {}
    display, _err, _out = make(Clock(0.0), estimates=estimates, max_rows=rng.randint(1, 12))
    now = T0
    if seed % 2:
        display.begin(tasks[: len(tasks) // 2])
    for _ in range(rng.randint(1, 120)):
        now += rng.uniform(0.0, 2.0)
        state = rng.choice(STATES)
        display(TaskEvent(rng.choice(tasks), state, now, rng.randint(0, 3), 3, rng.choice([None, 1.0])))
        at = now + rng.uniform(0.0, 3.0)
        got, want = display.eta(at), expected_eta(display, at)
        assert (got is None) == (want is None)
        if want is not None:
            assert got == pytest.approx(want, rel=1e-9, abs=1e-9)
        rows = display.rows
        active = sorted(
            (t for t, r in rows.items() if r.state in ACTIVE),
            key=lambda t: (rows[t].started or rows[t].since, t),
        )
        queued = [t for t, r in rows.items() if r.state in ("pending", "waiting")]
        ids, progress = shown(display)
        assert ids[: len(active)] == active
        assert ids[len(active) :] == queued[: len(ids) - len(active)]
        finished = sum(1 for r in rows.values() if r.state in FINISHED)
        assert f" {finished}/{len(rows)}" in progress
        for st in ("done", "cached", "failed"):
            n = sum(1 for r in rows.values() if r.state == st)
            assert (f" {n} {st}" in progress) == (n > 0), progress


def test_a_ctrl_c_burst_of_not_run_events_draws_a_bounded_number_of_times() -> None:
    mono = Clock(100.0)
    display, err, out = make(mono)
    ids = [f"copy:{i:04d}" for i in range(1000)]
    for task_id in ids:
        display(TaskEvent(task_id, "pending", T0))
    for task_id in ids[:8]:
        display(TaskEvent(task_id, "running", T0 + 0.1, 1, 1))
    draws = display.draws
    for task_id in ids[:8]:
        display(TaskEvent(task_id, "interrupted", T0 + 0.2, 1, 1, message="interrupted"))
    for task_id in ids[8:]:
        display(TaskEvent(task_id, "not-run", T0 + 0.2, message="interrupted before it started"))
    assert display.draws == draws  # all within one refresh interval: drawn by the next tick or at close
    outcomes = {t: TaskOutcome(t, "interrupted", T0 + 0.1, T0 + 0.2, 1) for t in ids[:8]}
    outcomes.update({t: TaskOutcome(t, "not-run") for t in ids[8:]})
    display.close(BuildResult(1, outcomes, T0, T0 + 0.2, interrupted=True))
    screen = Terminal(err.getvalue()).lines()
    finished = [line for line in screen if line.startswith(("– not run", "⏹ interrupted"))]
    assert [line.split()[3 if "not run" in line else 2] for line in finished] == ids  # each once, in order
    assert out.getvalue().startswith("agentmake: ")


class Terminal:
    """Just enough of a terminal for what rich's live view writes: text, newline, carriage return, erase line
    (`ESC[2K`), cursor up (`ESC[nA`); colours and the cursor's visibility are ignored."""

    CONTROL = re.compile(r"\x1b\[(\??[0-9;]*)([A-Za-z])|\r|\n")

    def __init__(self, raw: str) -> None:
        self.screen: list[str] = [""]
        self.row = 0
        self.col = 0
        at = 0
        for m in self.CONTROL.finditer(raw):
            self._text(raw[at : m.start()])
            at = m.end()
            if m.group(0) == "\n":
                self.row += 1
                self.col = 0
                if self.row == len(self.screen):
                    self.screen.append("")
            elif m.group(0) == "\r":
                self.col = 0
            elif m.group(2) == "K":
                self.screen[self.row] = ""
            elif m.group(2) == "A":
                self.row = max(self.row - int(m.group(1) or 1), 0)
        self._text(raw[at:])

    def _text(self, text: str) -> None:
        if text:
            line = self.screen[self.row].ljust(self.col)
            self.screen[self.row] = line[: self.col] + text + line[self.col + len(text) :]
            self.col += len(text)

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen if line.strip()]


def test_what_the_terminal_shows_after_the_build_is_the_finished_lines_and_the_summary() -> None:
    mono = Clock(100.0)
    display, err, out = make(mono, estimates={"scan:a": 4.0})
    display(TaskEvent("scan:a", "pending", T0))
    display(TaskEvent("scan:b", "pending", T0))
    display(TaskEvent("report", "waiting", T0))
    display(TaskEvent("scan:a", "running", T0 + 0.1, 1, 3))
    display(TaskEvent("scan:b", "running", T0 + 0.1, 1, 3))
    display(TaskEvent("scan:a", "done", T0 + 3.2, 1, 3))
    mono.now += REFRESH_INTERVAL
    display.tick()
    display(TaskEvent("scan:b", "failed", T0 + 6.0, 1, 3, message="exit 1: boom\nmore detail"))
    display(TaskEvent("report", "not-run", T0 + 6.0, message="dependency scan:b failed"))
    result = BuildResult(1, {
        "scan:a": TaskOutcome("scan:a", "done", T0 + 0.1, T0 + 3.2, 1, 0.25),
        "scan:b": TaskOutcome("scan:b", "failed", T0 + 0.1, T0 + 6.0, 1, message="exit 1: boom\nmore detail"),
        "report": TaskOutcome("report", "not-run", message="dependency scan:b failed"),
    }, T0, T0 + 6.0)  # fmt: skip
    display.close(result)
    assert Terminal(SGR.sub("", err.getvalue())).lines() == [
        "✓ done        scan:a  3.1s",
        "✗ failed      scan:b  5.9s  exit 1: boom",
        "– not run     report  dependency scan:b failed",
        "task                             state           time attempts     cost",
        "scan:a                           done            3.1s        1    $0.25",
        "scan:b                           failed          5.9s        1",
        "failures:",
        "✗ scan:b: exit 1: boom",
        "    more detail",
        "not run (1): report",
    ]
    assert out.getvalue().startswith("agentmake: 1 ran")


def test_a_stderr_line_prints_after_the_finished_lines_of_earlier_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mono = Clock(100.0)
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # (the live view replaces it while it runs)
    display, err, _out = make(mono)
    display(TaskEvent("a", "running", T0, 1, 1))
    display(TaskEvent("a", "done", T0 + 1.0, 1, 1))  # not drawn yet: within the refresh interval
    sys.stderr.write("[b] hello from the agent\n")
    sys.stderr.flush()
    display.close(done_result(["a"]))
    screen = Terminal(SGR.sub("", err.getvalue())).lines()
    assert screen.index("✓ done        a  1.0s") < screen.index("[b] hello from the agent")


def test_finished_lines_reach_a_console_that_is_no_terminal() -> None:
    err, out = io.StringIO(), io.StringIO()
    display = LiveDisplay(Console(file=err, force_terminal=False, width=100), summary_stream=out)
    for task_id in "abc":
        display(TaskEvent(task_id, "pending", T0))
    display(TaskEvent("a", "running", T0, 1, 1))
    display(TaskEvent("a", "done", T0 + 1.0, 1, 1))
    display(TaskEvent("b", "not-run", T0 + 1.0, message="dependency a failed"))
    display.tick()
    assert "✓ done        a  1.0s" in err.getvalue() and "– not run     b" in err.getvalue()
    display(TaskEvent("c", "not-run", T0 + 1.0))
    display.close(done_result(["a"]))
    assert err.getvalue().count("✓ done        a  1.0s") == 1 and "– not run     c" in err.getvalue()


def test_a_task_started_and_found_up_to_date_gets_a_finished_line_and_one_never_started_none() -> None:
    """A task whose outputs in place passed its new check (`Decision.recheck`) was shown running: its end is a
    line, as a done task's is; the many tasks up to date without starting stay quiet."""
    err, out = io.StringIO(), io.StringIO()
    display = LiveDisplay(Console(file=err, force_terminal=False, width=100), summary_stream=out)
    display(TaskEvent("a", "pending", T0))
    display(TaskEvent("b", "pending", T0))
    display(TaskEvent("b", "up-to-date", T0))
    display(TaskEvent("a", "running", T0, 1, 1))
    display(TaskEvent("a", "up-to-date", T0 + 1.0, 1, 1, message="its outputs in place pass the new check"))
    display.close(done_result(["a", "b"], "up-to-date"))
    assert "= up to date  a  its outputs in place pass the new check" in err.getvalue()
    assert "up to date  b" not in err.getvalue()
