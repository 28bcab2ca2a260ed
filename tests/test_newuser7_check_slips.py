"""Two Agentfiles that `agentmake check` called "ok", which a build then tells apart: one that declares
nothing (a build warns "nothing to build"), and a shell agent whose `run` names no {output} (or {outputs})
(every task of it fails, at every build: "command did not write out/a.txt: its `run` names no {output}").
`check` now warns of each, in the words a build uses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def agentmake(root: Path, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    (root / "Agentfile").write_text(text)
    (root / "in.txt").write_text("a\n")
    cmd = [sys.executable, "-m", "agentmake", *args]
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("text", ["", "# nothing yet\n", 'lang = "fr"\n'])
def test_check_of_an_agentfile_declaring_nothing_warns_as_a_build_does(tmp_path: Path, text: str) -> None:
    checked = agentmake(tmp_path, text, "check")
    built = agentmake(tmp_path, text)
    said = "agentmake: warning: Agentfile declares no agent and no report: nothing to build"
    assert built.returncode == 0 and said in built.stderr, built.stderr
    assert checked.returncode == 0 and said in checked.stderr, checked.stderr
    assert "— ok" in checked.stdout


NO_OUTPUT = 'agent a:\n    run = "{run}"\n    inputs = in.txt\n    outputs = out/a.txt\n'


@pytest.mark.parametrize("run", ["true", "cp {input} out/a.txt", "echo hi"])
def test_check_warns_of_a_run_that_names_no_output(tmp_path: Path, run: str) -> None:
    text = NO_OUTPUT.format(run=run)
    checked = agentmake(tmp_path, text, "check")
    said = (
        "agentmake: warning: a: its run command names no {output} (or {outputs}), so every task of it fails:"
        " a command writes {output}, a temporary path renamed onto out/a.txt after"
    )
    assert checked.returncode == 0 and said in checked.stderr, checked.stderr
    built = agentmake(tmp_path, text)  # (what the warning foretells)
    assert built.returncode == 1 and "command did not write out/a.txt" in built.stderr, built.stderr


@pytest.mark.parametrize(
    "run",
    ["cp {input} {output}", "cp {input} {outputs}", "cp {input} {outputs[0]}", "cat {inputs} > {output}"],
)
def test_a_run_that_names_its_output_is_no_such_warning(tmp_path: Path, run: str) -> None:
    checked = agentmake(tmp_path, NO_OUTPUT.format(run=run), "check")
    assert checked.returncode == 0 and checked.stderr == "", checked.stderr
