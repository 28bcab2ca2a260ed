"""Per-task savings in starting a shell task: older logs need no clearing in a fresh log directory (a log is
replaced or removed, never appended to, either way), and the `sh -c` fallback of a directly executed command
runs the shell, not the program that failed to start."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from agentmake import workflow
from agentmake.runners.process import run_process
from agentmake.store import Store

SH = shutil.which("sh") or "/bin/sh"


@pytest.mark.parametrize("clear_logs", [True, False])
def test_older_logs_of_the_same_name_are_replaced(tmp_path: Path, clear_logs: bool) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "t.out").write_text("old output\n")
    (logs / "t.err").write_text("old error\n")
    res = run_process(
        [SH, "-c", "echo new"],
        stdin=None,
        env=None,
        cwd=tmp_path,
        stdout_path=logs / "t.out",
        stderr_path=logs / "t.err",
        timeout=None,
        cancel=threading.Event(),
        parent_death=False,
        clear_logs=clear_logs,
    )
    assert res.exit_code == 0
    assert (logs / "t.out").read_text() == "new\n"
    assert not (logs / "t.err").exists()  # nothing printed: no log, and not the old one


def test_fallback_runs_the_shell_when_the_program_cannot_be_executed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A script without `#!` is found on PATH but exec fails (ENOEXEC): `sh -c` then runs it as sh would."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "noshebang"
    script.write_text('echo "from script" > "$1"\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    (tmp_path / "Agentfile").write_text('agent a:\n    outputs = a.txt\n    run = "noshebang {output}"\n')
    req = workflow.Request(directory=tmp_path, silent=True, jobs=1)  # type: ignore[call-arg]
    project = workflow.load_project(req)
    with Store.open(tmp_path) as store:
        result = workflow.run_graph(project, project.graph, store, req)
    assert result.ok, result.outcomes["a"].message
    assert (tmp_path / "a.txt").read_text() == "from script\n"
