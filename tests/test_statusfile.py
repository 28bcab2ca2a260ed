"""status.md: valid Markdown kept current (atomically, throttled by interval and by its own cost; failures
skip only the interval; always written at close), rendered incrementally."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from pathlib import Path

import pytest

from agentmake.display import StatusFile
from agentmake.display import statusfile as statusfile_module
from agentmake.scheduler.events import BuildResult, TaskEvent, TaskOutcome

T0 = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def cells(line: str) -> list[str]:
    """Split a Markdown table row on unescaped pipes."""
    assert line.startswith("|") and line.endswith("|"), line
    return [c.strip() for c in re.split(r"(?<!\\)\|", line[1:-1])]


def tables(text: str) -> dict[str, list[list[str]]]:
    """Heading -> the table rows below it (header first), checking each table is well formed."""
    out: dict[str, list[list[str]]] = {}
    heading = ""
    for block in text.split("\n\n"):
        lines = block.strip().splitlines()
        if lines and lines[0].startswith("#"):
            heading = lines[0].lstrip("# ")
        if lines and lines[0].startswith("|"):
            rows = [cells(x) for x in lines]
            assert re.fullmatch(r"\|(---\|)+", lines[1]), lines[1]
            assert all(len(r) == len(rows[0]) for r in rows), rows
            out[heading] = [rows[0], *rows[2:]]
    return out


def test_status_file_tables_after_retry_and_failure(tmp_path: Path) -> None:
    path = tmp_path / ".agentmake" / "status.md"
    clock = Clock()
    sink = StatusFile(path, clock=clock)
    sink(TaskEvent("scan:a", "running", T0, 1, 3))
    sink(TaskEvent("scan:b|x", "running", T0, 1, 3))
    sink(
        TaskEvent(
            "scan:b|x",
            "retrying",
            T0 + 1,
            1,
            3,
            retry_in=2.0,
            message="429 | too many",
            error_type="rate-limit",
        )
    )
    sink(TaskEvent("scan:a", "done", T0 + 3, 1, 3))
    sink(TaskEvent("scan:b|x", "running", T0 + 3, 2, 3))
    clock.now = 1.0  # (a failure too waits until the last write's cost allows the next one)
    sink(TaskEvent("scan:b|x", "failed", T0 + 4, 2, 3, message="exit 2\nusage: bad flag", error_type="exit",
                   action="gave up"))  # fmt: skip
    text = path.read_text()
    got = tables(text)
    assert got["Tasks"][0] == ["task", "state", "time", "attempts", "cost", "tokens"]
    assert ["scan:b\\|x", "failed", "4.0s", "2", "", ""] in got["Tasks"]
    assert got["Error log"][0] == ["time", "agent", "task", "error type", "description", "action taken"]
    log = got["Error log"][1:]
    assert [r[1:] for r in log] == [
        ["scan", "scan:b\\|x", "rate-limit", "429 \\| too many", "retrying in 2.0s"],
        ["scan", "scan:b\\|x", "exit", "exit 2<br>usage: bad flag", "gave up"],
    ]
    assert "```text\nexit 2\nusage: bad flag\n```" in text  # failure detail

    result = BuildResult(1, {
        "scan:a": TaskOutcome("scan:a", "done", T0, T0 + 3, 1, 0.5, 100, 20),
        "scan:b|x": TaskOutcome("scan:b|x", "failed", T0, T0 + 4, 2, message="exit 2"),
    }, T0, T0 + 4)  # fmt: skip
    sink.close(result)
    final = path.read_text()
    finished = "Finished: 1 ran, 0 cached, 0 up to date, 1 failed in 4.0s, $0.50, 100 tokens in / 20 out."
    assert finished in final
    assert ["scan:a", "done", "3.0s", "1", "$0.50", "100 in / 20 out"] in tables(final)["Tasks"]
    assert sorted(p.name for p in path.parent.iterdir()) == ["status.md"]  # no temporary files left


def test_status_file_is_throttled_and_failures_skip_only_the_interval(tmp_path: Path) -> None:
    path = tmp_path / "status.md"
    clock = Clock()
    sink = StatusFile(path, interval=0.2, clock=clock)
    sink(TaskEvent("a", "running", T0, 1, 1))
    first = path.read_text()
    clock.now = 0.05
    sink(TaskEvent("b", "running", T0, 1, 1))
    assert path.read_text() == first  # too soon: not written
    sink.tick()
    assert path.read_text() == first
    clock.now = 0.3
    sink.tick()  # due and dirty: written
    assert "| b | running |" in path.read_text()
    sink._last_cost = 0.001  # (pretend the last write took 1 ms: due by cost 25 ms after it)
    clock.now = 0.35
    sink(TaskEvent("b", "done", T0 + 1, 1, 1))
    assert "| b | done |" not in path.read_text()  # within the interval: not written
    sink(TaskEvent("a", "failed", T0 + 1, 1, 1, message="boom"))
    text = path.read_text()
    assert "| a | failed |" in text and "| b | done |" in text  # failures need not wait for the interval


class CountingStatusFile(StatusFile):
    """Counts the writes of the file."""

    writes = 0

    def flush(self) -> None:
        self.writes += 1
        super().flush()


def retry_burst(sink: StatusFile, ids: list[str]) -> None:
    """Every task runs, fails once (a retry), runs again and is done."""
    for task_id in ids:
        sink(TaskEvent(task_id, "pending", T0))
    for task_id in ids:
        sink(TaskEvent(task_id, "running", T0 + 1, 1, 2))
        sink(TaskEvent(task_id, "retrying", T0 + 2, 1, 2, retry_in=0.0, message="exit 1", error_type="exit"))
        sink(TaskEvent(task_id, "running", T0 + 3, 2, 2))
        sink(TaskEvent(task_id, "done", T0 + 4, 2, 2))


def test_a_burst_of_retries_keeps_to_the_cost_throttle_and_is_written_at_close(tmp_path: Path) -> None:
    path = tmp_path / "status.md"
    clock = Clock()  # the whole burst within one instant: no write is due after the first
    sink = CountingStatusFile(path, clock=clock)
    ids = [f"copy:{i:04d}" for i in range(2000)]
    retry_burst(sink, ids)
    assert sink.writes == 1  # (before: one full rewrite per retry, 2,001)
    outcomes = {t: TaskOutcome(t, "done", T0 + 1, T0 + 4, 2) for t in ids}
    sink.close(BuildResult(1, outcomes, T0, T0 + 4))
    assert sink.writes == 2
    got = tables(path.read_text())
    assert got["Tasks"][1:] == [[t, "done", "3.0s", "2", "", ""] for t in ids]
    assert [r[2] for r in got["Error log"][1:]] == ids
    assert sorted(p.name for p in path.parent.iterdir()) == ["status.md"]


def test_rendering_formats_only_the_rows_that_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = [0]
    format_row = statusfile_module._Task.format_row

    def counted(self: statusfile_module._Task, task_id: str) -> str:
        calls[0] += 1
        return format_row(self, task_id)

    monkeypatch.setattr(statusfile_module._Task, "format_row", counted)
    sink = CountingStatusFile(tmp_path / "status.md", interval=0.0, cost_factor=0.0)  # every event written
    ids = [f"copy:{i:04d}" for i in range(300)]
    retry_burst(sink, ids)
    assert sink.writes == 5 * len(ids)
    assert calls[0] <= 5 * len(ids)  # one per changed row (before: every row at every write, 225,000)
    assert "| copy:0299 | done | 3.0s | 2 |  |  |" in (tmp_path / "status.md").read_text()


def test_an_urgent_change_held_back_is_written_once_due_by_cost(tmp_path: Path) -> None:
    path = tmp_path / "status.md"
    clock = Clock()
    sink = StatusFile(path, interval=10.0, clock=clock, cost_factor=25.0)
    sink(TaskEvent("a", "running", T0, 1, 2))  # first: written
    sink._last_cost = 0.01  # pretend it took 10 ms: the next write is due 0.25 s after it
    clock.now = 0.1
    sink(TaskEvent("a", "retrying", T0 + 1, 1, 2, retry_in=1.0, message="429", error_type="rate-limit"))
    assert "| a | retrying |" not in path.read_text()  # (before: written at once)
    clock.now = 0.2
    sink.tick()
    assert "| a | retrying |" not in path.read_text()
    clock.now = 0.26
    sink.tick()  # due by cost, long before the interval
    assert "| a | retrying |" in path.read_text()
    sink._last_cost = 0.01
    clock.now = 0.6
    sink(TaskEvent("b", "running", T0 + 2, 1, 1))
    sink.tick()
    assert "| b |" not in path.read_text()  # nothing urgent: the interval holds


def expected_rows(sink: StatusFile) -> list[str]:
    """The task table's rows formatted afresh (quiet tasks first, then the others in order of first news)."""
    quiet = [statusfile_module._quiet_row(t) for t in sink._quiet]
    return quiet + [replace(task, row=None).format_row(t) for t, task in sink.tasks.items()]


@pytest.mark.parametrize("seed", range(30))
def test_incremental_rendering_matches_a_fresh_one(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    ids = [f"t{i:02d}" if i % 7 else f"t|{i:02d}" for i in range(rng.randint(1, 30))]
    states = ["pending", "waiting", "running", "retrying", "done", "failed", "cached", "up-to-date",
              "not-run", "interrupted"]  # fmt: skip
    sink = StatusFile(tmp_path / "status.md", clock=Clock())
    sink.up_to_date(rng.sample(ids, rng.randint(0, len(ids))), T0)
    for step in range(rng.randint(1, 80)):
        if rng.random() < 0.1:
            sink.up_to_date(rng.sample(ids, rng.randint(0, 3)), T0 + step)
        else:
            state = rng.choice(states)
            sink(
                TaskEvent(
                    rng.choice(ids), state, T0 + step, rng.randint(0, 3), 3, message=rng.choice(["", "x"])
                )
            )
        if rng.random() < 0.3:
            text = sink.render()
            section = text.split("## Tasks\n\n")[1].split("\n\n## Error log")[0].splitlines()
            assert section[2:] == expected_rows(sink)
            counts: dict[str, int] = {}
            for task in sink.tasks.values():
                counts[task.state] = counts.get(task.state, 0) + 1
            if sink._quiet:
                counts["up-to-date"] = counts.get("up-to-date", 0) + len(sink._quiet)
            said = ", ".join(f"{n} {s.replace('-', ' ')}" for s, n in sorted(counts.items()))
            assert f"Running: {said}." in text
            failed = [t for t, task in sink.tasks.items() if task.state == "failed" and task.message]
            assert [h[4:] for h in text.splitlines() if h.startswith("### ")] == failed


def test_a_build_that_ends_with_an_error_says_so_in_status_md(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A build stopped by an error of the machine (here the state database failing to record a result) left
    status.md showing tasks running or pending that no process ran any more."""
    import sqlite3

    from agentmake.cli import main
    from agentmake.store import Store

    (tmp_path / "Agentfile").write_text(
        'agent a:\n    outputs = a.txt\n    run = "echo a > {output}"\n'
        'agent b:\n    inputs = a.txt\n    outputs = b.txt\n    run = "cat {input} > {output}"\n'
    )

    def broken(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Store, "record_success", broken)
    assert main(["-C", str(tmp_path)]) == 2
    assert "disk I/O error" in capsys.readouterr().err
    status = (tmp_path / ".agentmake/status.md").read_text()
    assert "Ended with an error: OperationalError: disk I/O error. No task runs now" in status, status
    assert "Running:" not in status, status
