"""`agentmake init -C NEWDIR`, a newcomer's first guess at starting a project in a new directory, is refused
(-C names a directory to run in, as make's), and now says the two ways that work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def agentmake(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "agentmake", *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=60)


def test_init_in_a_directory_not_there_says_how_to_make_it(tmp_path: Path) -> None:
    proc = agentmake(tmp_path, "init", "-C", "new proj")
    assert proc.returncode == 2 and not (tmp_path / "new proj").exists()
    said = "-C new proj: no such directory (`mkdir` it first, or"
    said += " `agentmake init -f 'new proj/Agentfile'` makes it)"
    assert said in proc.stderr, proc.stderr
    proc = agentmake(tmp_path, "init", "-f", "new proj/Agentfile")  # (the way it names works)
    assert proc.returncode == 0 and (tmp_path / "new proj" / "Agentfile").is_file()


def test_other_commands_in_a_directory_not_there_say_only_that(tmp_path: Path) -> None:
    proc = agentmake(tmp_path, "check", "-C", "nope")
    assert proc.returncode == 2 and "-C nope: no such directory\n" in proc.stderr


def test_init_help_says_it_writes_a_note_too_and_replaces_nothing(tmp_path: Path) -> None:
    proc = agentmake(tmp_path, "init", "--help")
    assert "write a starter Agentfile, its prompt and an example note into the directory" in proc.stdout
    assert "(replacing none)" in proc.stdout
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "example.md").write_text("mine\n")  # (what the help promised is kept)
    assert agentmake(tmp_path, "init").returncode == 2
    assert (tmp_path / "notes" / "example.md").read_text() == "mine\n" and not (
        tmp_path / "Agentfile"
    ).exists()
