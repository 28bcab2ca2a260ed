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

from agentmake.cli import main

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


def test_a_build_lists_the_state_directory_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check reads `.agentmake`'s entries (each one a link?): once per build, where the command opens
    the state, not again when it looks for a killed run's attempts to undo in `.agentmake/tmp` (there, and
    empty, after every build of a multi-output LLM agent)."""
    project, _ = _project(tmp_path)
    assert main(["-C", str(project), "-s"]) == 0
    (project / ".agentmake" / "tmp").mkdir()  # (as a multi-output LLM agent's attempts leave it: empty)
    (project / "Agentfile").write_text(AGENTFILE.replace("made", "made again"))
    listed: list[str] = []
    scandir = os.scandir

    def counting(path: str | os.PathLike[str] = ".") -> object:
        listed.append(os.fspath(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", counting)
    assert main(["-C", str(project), "-s"]) == 0
    assert (project / "out.txt").read_text() == "made again\n"
    assert listed.count(str(project.resolve() / ".agentmake")) == 1, listed


def test_a_killed_runs_attempts_are_not_looked_for_through_a_link_out(tmp_path: Path) -> None:
    project, outside = _project(tmp_path)
    assert _agentmake(project).returncode == 0
    (outside / "a-dead").mkdir()  # (an attempt's directory, as a killed run leaves one)
    (project / ".agentmake" / "tmp").symlink_to(outside)
    proc = _agentmake(project, "status")
    assert proc.returncode == 2 and ".agentmake/tmp is a symbolic link to" in proc.stderr, proc
    assert os.listdir(outside) == ["a-dead"]
