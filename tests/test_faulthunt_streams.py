"""agentmake started with a standard stream closed (`agentmake 2>&-`, a cron job or a daemon tool that closes
its descriptors): the build runs as with the stream on /dev/null, instead of failing every task as
"interrupted" with exit 1 and no word said (its display wrote to a `sys.stderr` that Python had set to None).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

AGENTFILE = """\
agent copy:
    run = "cat {input} > {output}; echo noisy; echo noisier >&2"
    inputs = src/{n}.txt
    outputs = out/{n}.txt
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    (tmp_path / "src").mkdir()
    for n in ("a", "b"):
        (tmp_path / "src" / f"{n}.txt").write_text(f"text {n}\n")
    return tmp_path


def _agentmake(project: Path, closing: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real console entry (`python -m agentmake`) with `closing` (a shell redirection) applied."""
    script = f'exec "$@" {closing}'
    argv = ["sh", "-c", script, "sh", sys.executable, "-m", "agentmake", *args]
    return subprocess.run(argv, cwd=project, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    "closing", ["2>&-", "<&- 2>&-", "<&- >&-"], ids=["stderr", "stdin+stderr", "stdin+stdout"]
)
def test_a_build_with_a_standard_stream_closed_builds_and_says_so_where_it_can(
    project: Path, closing: str
) -> None:
    run = _agentmake(project, closing)
    assert run.returncode == 0, run
    for n in ("a", "b"):
        assert (project / "out" / f"{n}.txt").read_text() == f"text {n}\n"
    if ">&-" not in closing:
        assert "2 ran" in run.stdout, run
    status = _agentmake(project, closing, "status")
    assert status.returncode == 0, status
    if ">&-" not in closing:
        assert "up to date" in status.stdout and "interrupted" not in status.stdout, status


def test_an_error_with_stderr_closed_still_exits_with_its_code(project: Path) -> None:
    (project / "Agentfile").write_text("agent broken\n")
    run = _agentmake(project, "2>&-")
    assert run.returncode == 2, run
    assert run.stdout == "", run  # (the error is not sent to stdout instead, where a script reads results)
