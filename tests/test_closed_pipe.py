"""A reader that goes away: `agentmake | head -1`, `agentmake 2>&1 | grep -q x`. Python ignores SIGPIPE,
so a write after the reader closed its end raised BrokenPipeError, which the CLI took as "exit 0": a failed
build said "ok" to a `set -o pipefail` script. Now a stream whose reader is gone is written to /dev/null from
then on, and the command exits with its real code; the build still does all its work. Real processes, real
pipes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

FAILS = 'agent bad:\n    inputs = src.txt\n    outputs = bad.txt\n    run = "exit 3"\n'
WORKS = (
    'agent one:\n    inputs = src.txt\n    outputs = one.txt\n    run = "cp {input} {output}"\n'
    'agent two:\n    inputs = one.txt\n    outputs = two.txt\n    run = "cp {input} {output}"\n'
)


def _run(project: Path, stream: str, *args: str) -> int:
    """Run agentmake with `stream` ("stdout" or "stderr") a pipe whose reader has already gone."""
    read, write = os.pipe()
    os.close(read)
    try:
        env = {**os.environ, "NO_COLOR": "1"}
        other = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        other[stream] = write  # type: ignore[assignment]
        proc = subprocess.run(
            [sys.executable, "-m", "agentmake", *args],
            cwd=project,
            env=env,
            timeout=60,
            **other,  # type: ignore[arg-type]
        )
    finally:
        os.close(write)
    return proc.returncode


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_a_failed_build_exits_1_though_its_reader_went_away(tmp_path: Path, stream: str) -> None:
    (tmp_path / "Agentfile").write_text(FAILS)
    (tmp_path / "src.txt").write_text("x\n")
    assert _run(tmp_path, stream) == 1


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_a_build_whose_reader_went_away_builds_everything(tmp_path: Path, stream: str) -> None:
    (tmp_path / "Agentfile").write_text(WORKS)
    (tmp_path / "src.txt").write_text("x\n")
    assert _run(tmp_path, stream) == 0
    assert (tmp_path / "two.txt").read_text() == "x\n"  # (not stopped at the first line it printed)
    check = subprocess.run(
        [sys.executable, "-m", "agentmake", "-q"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check  # (everything recorded: up to date)


def test_status_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    (tmp_path / "Agentfile").write_text(WORKS)
    (tmp_path / "src.txt").write_text("x\n")
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "agentmake", "status"],
            cwd=tmp_path, stdout=write, stderr=subprocess.PIPE, text=True, timeout=60,
        )  # fmt: skip
    finally:
        os.close(write)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
