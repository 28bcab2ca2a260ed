"""Where agentmake runs: an Agentfile that is a link, a project reached through a link, a working
directory that is gone, and the user's cache directory named relatively. Every command must find the same
project, the same state and the same targets however the user spells its place."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

SHELL_AGENTFILE = textwrap.dedent(
    """\
    agent up:
        inputs = src/{n}.txt
        outputs = build/{n}.up
        run = "tr a-z A-Z < {input} > {output}"

    report r:
        inputs = build/*.up
        output = REPORT.md
    """
)


def am(*args: str, cwd: Path | str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess, plain output."""
    base = {**os.environ, "CI": "1", "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "agentmake", *args],
        cwd=cwd,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
    )


def project(root: Path, agentfile: str = "Agentfile") -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "a.txt").write_text("hello\n")
    (root / agentfile).write_text(SHELL_AGENTFILE)
    return root


def test_an_agentfile_that_is_a_link_builds_its_own_project_not_the_link_targets(tmp_path: Path) -> None:
    """`variant/Agentfile -> ../base/Agentfile`: the project is variant/ (as every command takes it). Its
    build stamp must be read there: reading base/'s stamp (the Agentfile's resolved directory) answered
    "up to date" for a variant never built, once base/ had been."""
    base = project(tmp_path / "base")
    variant = tmp_path / "variant"
    (variant / "src").mkdir(parents=True)
    (variant / "src" / "a.txt").write_text("variant\n")
    (variant / "Agentfile").symlink_to("../base/Agentfile")
    for _ in range(2):  # the second build writes base/'s stamp
        assert am(cwd=base).returncode == 0
    first = am("-v", cwd=variant)
    assert first.returncode == 0, first.stderr
    assert (variant / "build" / "a.up").read_text() == "VARIANT\n", first.stdout + first.stderr
    assert (variant / "REPORT.md").is_file()


def test_an_agentfile_that_is_a_link_gets_the_no_op_stamp(tmp_path: Path) -> None:
    """The stamp written in the project is the one the next build of it reads: a no-op without loading."""
    root = tmp_path / "proj"
    project(root)
    (root / "conf").mkdir()
    (root / "Agentfile").rename(root / "conf" / "Agentfile")
    (root / "Agentfile").symlink_to("conf/Agentfile")
    assert am(cwd=root).returncode == 0
    assert am(cwd=root).returncode == 0
    again = am("-v", cwd=root)
    assert "build stamp: nothing changed since the last build" in again.stderr, again.stderr
    (root / "conf" / "Agentfile").write_text(SHELL_AGENTFILE.replace("a-z A-Z", "a-z b-za"))
    edited = am("-v", cwd=root)  # an edit of the file the link names is still seen
    assert edited.returncode == 0 and "0 ran" not in edited.stdout, edited.stdout + edited.stderr
    assert (root / "build" / "a.up").read_text() == "ifmmp\n"
