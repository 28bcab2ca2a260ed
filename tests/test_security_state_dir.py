"""agentmake's state directory is held to the rule that nothing is written outside the project: a
`.agentmake` that is a symbolic link out of the project, or an entry of it that is (`.agentmake/logs`), is
refused by every command that opens the state, exit 2, with the link named, before anything is written
through it. A link that stays inside the project is followed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

AGENTFILE = 'agent a:\n    outputs = out.txt\n    run = "echo made > {output}; echo printed"\n'


def _agentmake(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentmake", *args], cwd=project, capture_output=True, text=True, timeout=60,
        env={**os.environ, "NO_COLOR": "1", "CI": "1"},
    )  # fmt: skip


def _project(tmp_path: Path) -> tuple[Path, Path]:
    project, outside = tmp_path / "proj", tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    (project / "Agentfile").write_text(AGENTFILE)
    return project, outside


@pytest.mark.parametrize("args", [(), ("status",), ("clean",), ("-n",), ("explain", "a")])
def test_a_state_directory_linked_out_is_refused(tmp_path: Path, args: tuple[str, ...]) -> None:
    project, outside = _project(tmp_path)
    (project / ".agentmake").symlink_to(outside)
    proc = _agentmake(project, *args)
    assert proc.returncode == 2, proc
    assert f".agentmake is a symbolic link to {outside.resolve()}, outside the project" in proc.stderr
    assert "remove the link" in proc.stderr
    assert os.listdir(outside) == []  # nothing read... and nothing written there
    assert not (project / "out.txt").exists()


def test_a_state_directory_made_then_linked_out_is_refused_before_anything_runs(tmp_path: Path) -> None:
    """Built once, then `.agentmake` moved out and linked (e.g. to keep it on another disk): the no-op fast
    path (the build stamp) does not vouch for it either."""
    project, outside = _project(tmp_path)
    assert _agentmake(project).returncode == 0
    os.rmdir(outside)
    os.rename(project / ".agentmake", outside)
    (project / ".agentmake").symlink_to(outside)
    proc = _agentmake(project)
    assert proc.returncode == 2 and "outside the project" in proc.stderr, proc


def test_a_log_directory_linked_out_of_the_project_is_refused(tmp_path: Path) -> None:
    project, outside = _project(tmp_path)
    (project / ".agentmake").mkdir()
    (project / ".agentmake" / "logs").symlink_to(outside)
    proc = _agentmake(project)
    assert proc.returncode == 2, proc
    assert f".agentmake/logs is a symbolic link to {outside.resolve()}, outside the project" in proc.stderr
    assert os.listdir(outside) == [] and not (project / "out.txt").exists()


def test_links_that_stay_inside_the_project_are_followed(tmp_path: Path) -> None:
    project, _ = _project(tmp_path)
    (project / "state" / "logs").mkdir(parents=True)
    (project / ".agentmake").symlink_to("state")
    proc = _agentmake(project)
    assert proc.returncode == 0, proc
    assert (project / "state" / "state.db").exists()
    assert (project / "state" / "logs" / "a.1.out").read_text() == "printed\n"
    assert (project / "out.txt").read_text() == "made\n"
