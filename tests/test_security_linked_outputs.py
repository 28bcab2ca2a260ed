"""A multi-output agent writes its outputs itself, so it can also replace an output's directory with a
symbolic link out of the project (codex's `workspace-write` sandbox allows `ln -s` in the project). Undoing
its failed attempt must then neither remove nor write anything where the link leads."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

AGENTFILE = (
    'agent two:\n    runner = codex\n    prompt = "write both"\n    outputs = out/a.md out/b.md\n'
    "    retries = 0\n"
)


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A project, a directory outside it holding files named like the outputs, and an environment whose
    `codex` (once a file `link` is in the project) swaps `out` for a link to that directory and fails."""
    root, victim, bin_dir = tmp_path / "p", tmp_path / "victim", tmp_path / "bin"
    for d in (root, victim, bin_dir):
        d.mkdir()
    for name in ("a.md", "b.md"):
        (victim / name).write_text("precious\n")
    codex = bin_dir / "codex"
    codex.write_text(
        "#!/bin/sh\ncat >/dev/null\nif [ -e link ]; then rm -rf out && ln -s "
        f"{shlex.quote(str(victim))} out; exit 1; fi\n"
        "mkdir -p out && echo old > out/a.md && echo old > out/b.md\n"
        """echo '{"type":"item.completed","item":{"type":"agent_message","text":"done"}}'\n"""
        """echo '{"type":"turn.completed","usage":{}}'\n"""
    )
    codex.chmod(0o755)
    (root / "Agentfile").write_text(AGENTFILE)
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(CI="1", PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}")
    return root, victim, env


def _build(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[bytes]:
    cmd = [sys.executable, "-m", "agentmake", *args]
    return subprocess.run(cmd, cwd=root, env=env, capture_output=True, timeout=120)


def test_a_failed_attempt_that_linked_its_output_directory_out_removes_nothing_there(
    hostile: tuple[Path, Path, dict[str, str]],
) -> None:
    root, victim, env = hostile
    (root / "link").touch()
    proc = _build(root, env)
    assert proc.returncode == 1
    assert sorted(p.name for p in victim.iterdir()) == ["a.md", "b.md"]
    assert all(p.read_text() == "precious\n" for p in victim.iterdir())


def test_undoing_it_writes_no_earlier_output_where_the_link_leads(
    hostile: tuple[Path, Path, dict[str, str]],
) -> None:
    root, victim, env = hostile
    first = _build(root, env)
    assert first.returncode == 0, first.stderr.decode()
    (root / "link").touch()
    proc = _build(root, env, "-B")
    assert proc.returncode == 1
    assert b"outside the project" in proc.stderr
    assert all(p.read_text() == "precious\n" for p in victim.iterdir())
    again = _build(root, env, "-B")  # the earlier outputs were kept (in .agentmake/tmp), named, not lost
    assert b"left" in again.stderr and b"alone" in again.stderr
