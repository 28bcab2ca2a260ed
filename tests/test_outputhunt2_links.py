"""An output an agent makes as a symbolic link. Its recorded content is what the link leads to, so a link left
in place makes a later change of that file look like a hand edit, a cache restore writes a regular file
instead, and a link out of the project has agentmake copy a file from elsewhere (say, one a sandboxed agent
may not read) into the project and its cache. So a link that stays inside the project (and out of
`.agentmake`) is committed as a regular copy of the file it leads to; any other fails the attempt, naming it,
and nothing is committed."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path


def _am(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**(env or os.environ), "AGENTMAKE_BACKOFF": "10ms", "CI": "1"}
    cmd = [sys.executable, "-m", "agentmake", *args]
    return subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=60)


def _project(tmp_path: Path, run: str) -> Path:
    root = tmp_path / "p"
    root.mkdir()
    (root / "Agentfile").write_text(f'agent l:\n    run = "{run}"\n    outputs = out/x.txt\n')
    return root


def test_a_link_out_of_the_project_fails_the_task_and_nothing_is_committed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("elsewhere\n")
    root = _project(tmp_path, f"ln -s {secret} {{output}}")
    proc = _am(root)
    assert proc.returncode == 1, proc
    assert "out/x.txt is a symbolic link to" in proc.stderr and "outside the project" in proc.stderr
    assert not os.path.lexists(root / "out" / "x.txt")
    assert [p.name for p in (root / "out").iterdir()] == []  # (no staged link left either)
    assert "1 to run" in _am(root, "-n").stdout  # nothing was recorded


def test_a_link_into_agentmakes_state_fails_the_task(tmp_path: Path) -> None:
    root = _project(tmp_path, "ln -s ../.agentmake/state.db {output}")
    proc = _am(root)
    assert proc.returncode == 1, proc
    assert "out/x.txt is a symbolic link to" in proc.stderr and "agentmake's state" in proc.stderr
    assert not os.path.lexists(root / "out" / "x.txt")


def test_a_link_inside_the_project_is_committed_as_a_regular_copy(tmp_path: Path) -> None:
    root = _project(tmp_path, "ln -s ../src/a.txt {output}")
    (root / "src").mkdir()
    (root / "src" / "a.txt").write_text("first\n")
    (root / "src" / "a.txt").chmod(0o755)
    proc = _am(root)
    assert proc.returncode == 0, proc
    out = root / "out" / "x.txt"
    assert not out.is_symlink() and out.read_text() == "first\n"
    assert os.access(out, os.X_OK)  # (the mode of what it led to, as a copy would have)
    # the file it led to changes (it is no input): the output is no "hand edit", and stays as it was made
    (root / "src" / "a.txt").write_text("second\n")
    again = _am(root)
    assert again.returncode == 0, again
    assert "edited by hand" not in again.stderr
    assert "1 up to date" in again.stdout
    assert out.read_text() == "first\n"


def test_a_multi_output_agent_that_links_an_output_out_of_the_project_fails(tmp_path: Path) -> None:
    root, bin_dir, secret = tmp_path / "p", tmp_path / "bin", tmp_path / "secret.txt"
    root.mkdir()
    bin_dir.mkdir()
    secret.write_text("elsewhere\n")
    codex = bin_dir / "codex"
    codex.write_text(
        f"#!/bin/sh\ncat >/dev/null\nmkdir -p out && ln -s {shlex.quote(str(secret))} out/a.md\n"
        "echo b > out/b.md\n"
        """echo '{"type":"item.completed","item":{"type":"agent_message","text":"done"}}'\n"""
        """echo '{"type":"turn.completed","usage":{}}'\n"""
    )
    codex.chmod(0o755)
    (root / "Agentfile").write_text(
        'agent two:\n    runner = codex\n    prompt = "write both"\n    outputs = out/a.md out/b.md\n'
        "    retries = 0\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    proc = _am(root, env=env)
    assert proc.returncode == 1, proc
    assert "out/a.md is a symbolic link to" in proc.stderr
    assert not os.path.lexists(root / "out" / "a.md") and not os.path.lexists(root / "out" / "b.md")
    assert secret.read_text() == "elsewhere\n"
