"""A single-output agent's plain-text answer is copied from its log to the output a chunk at a time, never
held whole: an answer of 1 GB took agentmake to about 2 GB (read from the log, decoded, encoded again to be
written). The output is the answer exactly as before (UTF-8, an invalid byte replaced, line ends made
"\\n", also where a chunk ends inside a character or a "\\r\\n"), and complete. What agentmake allocates is
measured with `tracemalloc` (Python's own allocations: deterministic, not the machine's memory); the max RSS
for a 200 MB answer is `benchmarks/bench_big_answer.py`'s."""

from __future__ import annotations

import shlex
import sys
import threading
import tracemalloc
from pathlib import Path

import pytest
from conftest import RunnerProject

from agentmake.model import RunnerSpec
from agentmake.plan import Decision
from agentmake.runners import capture

# a line straddles chunk boundaries at every offset: a 3-byte character, an invalid byte, "\r\n", a lone "\r"
LINE = b"x" * 50 + "\u20ac".encode() + b"\xff" + b"end\r\n" + b"cr\r" + b"\n"
COPIES = 600_000  # about 38 MB
PRINT = "import sys\nsys.stdout.buffer.write({line!r} * {copies})\n"


def _runner(project: RunnerProject, tmp_path: Path, body: str) -> None:
    script = tmp_path / "big-agent"
    script.write_text(
        f"#!/bin/sh\ncat >/dev/null\nexec {shlex.quote(sys.executable)} -c {shlex.quote(body)}\n"
    )
    script.chmod(0o755)
    project.runners["big"] = RunnerSpec(name="big", command=(str(script),), format="text")


def test_a_huge_text_answer_is_copied_to_its_output_without_being_held(
    project: RunnerProject, tmp_path: Path
) -> None:
    _runner(project, tmp_path, PRINT.format(line=LINE, copies=COPIES))
    task = project.agent("a", ("out.txt",), runner="big")
    tracemalloc.start()
    try:
        res = project.run(task, "q")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert res.outcome == "ok", res.message
    size = len(LINE) * COPIES
    assert peak < size / 4, f"{peak / 2**20:.1f} MiB allocated at the peak for a {size / 2**20:.0f} MB answer"
    want = (LINE * COPIES).decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    assert res.staged["out.txt"].read_bytes() == want.encode()


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 64])
def test_text_read_in_chunks_is_the_text_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(capture, "TEXT_CHUNK", chunk)
    data = LINE * 3 + b"\xe2\x82" + b"\r"  # (cut inside a character, then a "\r" at the very end)
    (tmp_path / "log").write_bytes(data)
    capture.copy_text(tmp_path / "log", tmp_path / "copy")
    (tmp_path / "whole").write_text(capture.read_log(tmp_path / "log", ""), encoding="utf-8")
    assert (tmp_path / "copy").read_bytes() == (tmp_path / "whole").read_bytes()
    assert not capture.text_blank(tmp_path / "log")
    (tmp_path / "blank").write_bytes(b" \r\n\t\n" * 5)
    assert capture.text_blank(tmp_path / "blank") and capture.text_blank(tmp_path / "missing")


def test_a_huge_answer_of_whitespace_is_no_answer(project: RunnerProject, tmp_path: Path) -> None:
    _runner(project, tmp_path, PRINT.format(line=b" \n", copies=1_500_000))  # (3 MB: more than is read)
    res = project.run(project.agent("a", ("out.txt",), runner="big"), "q")
    assert (res.outcome, res.error_type) == ("retry", "no-output"), res.message
    assert not res.staged


def test_a_huge_text_answer_salvaged_from_its_log_is_not_held_either(
    project: RunnerProject, tmp_path: Path
) -> None:
    """The answer an earlier attempt left in its log (the build stopped before recording it) is copied too."""
    body = PRINT.format(line=LINE, copies=COPIES)
    # answers once; asked again, it fails (the answer must come from the log)
    once = "import os, sys\nif os.path.exists('asked'): sys.exit(3)\nopen('asked', 'w')\n"
    _runner(project, tmp_path, once + body)
    task = project.agent("a", ("out.txt",), runner="big")
    executor = project.executor()
    decision = Decision(task.id, "run", key="k", prompt="q")
    first = executor.execute(task, decision, 1, threading.Event())
    assert first.outcome == "ok" and not first.salvaged, first.message
    executor.discard(first)  # (not recorded: the next build salvages it)
    tracemalloc.start()
    try:
        res = project.executor().execute(task, decision, 1, threading.Event())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert res.outcome == "ok" and res.salvaged, res.message
    size = len(LINE) * COPIES
    assert peak < size / 4, f"{peak / 2**20:.1f} MiB allocated at the peak for a {size / 2**20:.0f} MB answer"
    want = (LINE * COPIES).decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    assert res.staged["out.txt"].read_bytes() == want.encode()
