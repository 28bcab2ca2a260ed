"""A target path completed by the shell from the current directory names the output it names, also when the
Agentfile (`-f`) lives in a directory below: `agentmake -f sub/Agentfile sub/build/a.txt`. A path relative to
the Agentfile's directory still comes first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

AGENTFILE = (
    'agent cp:\n    inputs = docs/{n}.txt\n    outputs = build/{n}.txt\n    run = "cp {input} {output}"\n'
)


def _am(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "agentmake", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_target_path_from_the_current_directory_names_its_output(tmp_path: Path) -> None:
    project = tmp_path / "sub" / "dir"
    (project / "docs").mkdir(parents=True)
    for n in ("a", "b"):
        (project / "docs" / f"{n}.txt").write_text(f"{n}\n")
    (project / "Agentfile").write_text(AGENTFILE)
    said = _am(tmp_path, "-f", "sub/dir/Agentfile", "explain", "sub/dir/build/a.txt")
    assert said.returncode == 0 and "build/a.txt [cp:a] is stale" in said.stdout, said
    built = _am(tmp_path, "-f", "sub/dir/Agentfile", "-s", "sub/dir/build/b.txt")
    assert built.returncode == 0, built
    assert (project / "build" / "b.txt").exists() and not (project / "build" / "a.txt").exists()
    assert _am(tmp_path, "-f", "sub/dir/Agentfile", "-s", "build/a.txt").returncode == 0  # (as before)
    unknown = _am(tmp_path, "-f", "sub/dir/Agentfile", "sub/dir/build/c.txt")
    assert unknown.returncode == 2 and "unknown target 'sub/dir/build/c.txt'" in unknown.stderr, unknown
