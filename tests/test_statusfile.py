"""status.md: valid Markdown kept current (atomically, throttled, but always on failures and at close)."""

from __future__ import annotations

import re
from pathlib import Path

from agentmake.display import StatusFile
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
    sink(TaskEvent("scan:b|x", "failed", T0 + 4, 2, 3, message="exit 2\nusage: bad flag", error_type="exit",
                   action="gave up"))  # fmt: skip
    text = path.read_text()
    got = tables(text)
    assert got["Tasks"][0] == ["task", "state", "attempts", "duration", "cost", "tokens"]
    assert ["scan:b\\|x", "failed", "2", "4.0s", "", ""] in got["Tasks"]
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
    assert ["scan:a", "done", "1", "3.0s", "$0.50", "100 in / 20 out"] in tables(final)["Tasks"]
    assert sorted(p.name for p in path.parent.iterdir()) == ["status.md"]  # no temporary files left


def test_status_file_is_throttled_except_for_failures(tmp_path: Path) -> None:
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
    clock.now = 0.31
    sink(TaskEvent("a", "failed", T0 + 1, 1, 1, message="boom"))
    assert "| a | failed |" in path.read_text()  # failures are written at once
