"""The installed package as a user meets it: the console script, the grammar as package data, the tour."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import agentmake
from agentmake.syntax.parser import grammar_path

REPO = Path(__file__).resolve().parent.parent


def console_script() -> str:
    script = Path(sys.executable).parent / "agentmake"
    assert script.exists(), f"the console script is not installed next to {sys.executable}"
    return str(script)


def test_console_script_prints_the_version() -> None:
    out = subprocess.run([console_script(), "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert agentmake.__version__ in out.stdout


@pytest.mark.usefixtures("fake_agents")  # (its runners on PATH: else `— not buildable here`)
def test_agentfile_example_passes_check() -> None:
    out = subprocess.run(
        [console_script(), "check", "-f", "Agentfile.example"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("ok")
    assert "agents" in out.stdout and "reports" in out.stdout


def test_grammar_is_found_where_the_package_is_installed() -> None:
    path = grammar_path()
    assert path.is_file()
    package_dir = Path(agentmake.__file__).resolve().parent
    if not package_dir.is_relative_to(REPO):  # a real (non-editable) install: the wheel carries the grammar
        assert path.resolve().is_relative_to(package_dir)
    assert path.read_text() == (REPO / "grammar" / "agentfile.lark").read_text()
