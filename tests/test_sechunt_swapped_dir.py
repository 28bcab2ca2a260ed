"""An agent with one output answers on stdout, and agentmake writes that answer into the output's directory
after the agent has ended. By then the agent (codex's `workspace-write` sandbox allows `ln -s` in the
project), or another agent of the same build, may have replaced that directory with a symbolic link out of
the project: the answer must not be written, nor renamed, where the link leads."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

ANSWER = (
    """echo '{"type":"item.completed","item":{"type":"agent_message","text":"the answer"}}'\n"""
    """echo '{"type":"turn.completed","usage":{}}'\n"""
)


def _project(tmp_path: Path, swap: str) -> tuple[Path, Path, dict[str, str]]:
    """A project whose one-output codex agent first runs the shell line `swap`, then answers."""
    root, victim, bin_dir = tmp_path / "p", tmp_path / "victim", tmp_path / "bin"
    for d in (root, victim, bin_dir, root / "out"):
        d.mkdir()
    codex = bin_dir / "codex"
    codex.write_text(f"#!/bin/sh\ncat >/dev/null\n{swap}\n{ANSWER}")
    codex.chmod(0o755)
    (root / "Agentfile").write_text(
        'agent one:\n    runner = codex\n    prompt = "answer"\n    outputs = out/a.md\n    retries = 0\n'
    )
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(CI="1", PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}")
    return root, victim, env


def _build(root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "agentmake"]
    return subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=120)


def test_an_answer_is_not_written_through_a_directory_linked_out_during_the_attempt(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    root, victim, env = _project(tmp_path, f"mv out moved && ln -s {shlex.quote(str(victim))} out")
    proc = _build(root, env)
    assert proc.returncode == 1, proc.stderr
    assert "output directory out resolves to" in proc.stderr and "outside the project" in proc.stderr
    assert list(victim.iterdir()) == []  # neither the answer nor its staged copy
    assert not (root / "moved/a.md").exists()


def test_the_answer_is_written_when_the_directory_stays_in_the_project(tmp_path: Path) -> None:
    root, _, env = _project(tmp_path, "mv out moved && mkdir inside && ln -s inside out")
    proc = _build(root, env)
    assert proc.returncode == 0, proc.stderr
    assert (root / "inside/a.md").read_text() == "the answer"


def test_a_staged_output_is_not_renamed_into_place_through_a_directory_linked_out_since(
    tmp_path: Path,
) -> None:
    """A shell agent's command writes its staged file itself; here it links its output's directory out
    first, as another agent of the build may do while it runs (it stands for that agent): agentmake's own
    rename must not then put the output where the link leads."""
    root, victim = tmp_path / "p", tmp_path / "victim"
    (root / "in").mkdir(parents=True)
    victim.mkdir()
    (root / "in/a.txt").write_text("data\n")
    (root / "Agentfile").write_text(
        "agent c:\n    inputs = in/{n}.txt\n    outputs = out/{n}.res\n    retries = 0\n"
        f'    run = "mv out moved && ln -s {victim} out && cp {{input}} {{output}}"\n'
    )
    env = {**os.environ, "NO_COLOR": "1"}
    proc = _build(root, env)
    assert proc.returncode == 1, proc.stderr
    assert "output directory out resolves to" in proc.stderr and "outside the project" in proc.stderr
    assert list(victim.iterdir()) == []
