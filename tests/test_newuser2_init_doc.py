"""Where the Agentfile language is described: `agentmake --help` names the copy on this machine (the wheel
carries grammar/README.md as package data, pyproject.toml), and `agentmake init`'s Agentfile names that
command, no path (one on the machine that ran init means nothing to another user of a project in git)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agentmake.cli import main
from agentmake.starter import DOC_NAME, language_doc

REPO = Path(__file__).resolve().parent.parent


def test_the_starter_agentfile_names_a_command_that_says_where_the_language_is_described(
    tmp_path: Path,
) -> None:
    """(ux) The comment named this machine's copy by its absolute path, inside the user's venv: in a project
    shared through git that path means nothing to the others. It names `agentmake --help` now, which says
    where the description is on the machine it runs on."""
    run = subprocess.run(
        [sys.executable, "-m", "agentmake", "-C", str(tmp_path), "init"], capture_output=True, text=True
    )
    assert run.returncode == 0, run
    text = (tmp_path / "Agentfile").read_text()
    [line] = [ln for ln in text.splitlines() if "language" in ln]
    assert line == "# The language: `agentmake --help` names where it is described.", line
    assert str(REPO) not in text and "README.md" not in text and DOC_NAME not in text, text  # (no path)
    helped = subprocess.run([sys.executable, "-m", "agentmake", "--help"], capture_output=True, text=True)
    [said] = [ln for ln in helped.stdout.splitlines() if ln.startswith("The Agentfile language is described")]
    doc = Path(said.rsplit(" in ", 1)[1]).expanduser()
    assert doc.read_text() == (REPO / "grammar" / "README.md").read_text(), said


def test_the_wheel_carries_the_description_where_init_looks_for_it() -> None:
    if sys.version_info < (3, 11):
        pytest.skip("tomllib")
    import tomllib

    wheel = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["force-include"]["grammar/README.md"] == f"agentmake/syntax/{DOC_NAME}"


def test_under_the_home_directory_help_names_it_from_there(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = language_doc()  # (the package's copy when installed, grammar/README.md in a source checkout)
    assert doc is not None
    home = doc.parent.parent
    monkeypatch.setenv("HOME", str(home))  # (a user name in a path is not shown)
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    assert f"described in ~/{doc.parent.name}/{doc.name}\n" in text, text
    assert str(home) not in text, text
