"""`agentmake explain prompts/sum.md` (what does editing this prompt rerun?) named a source of the Agentfile,
not an output: it said only `unknown target` with the list of targets. It now says what the file is and which
targets to name instead. Real CLI, real files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

AGENTFILE = """\
include "common.Agentfile"

agent sum:
    prompt = prompts/sum.md
    inputs = docs/{name}.md
    outputs = out/{name}.md

agent count:
    run = "wc -c < {input} > {output}"
    inputs = out/{name}.md
    outputs = out/{name}.count
"""


def agentmake(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "agentmake", *args], cwd=root, capture_output=True, text=True, env=env
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    (tmp_path / "common.Agentfile").write_text("lang = en\n")
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "sum.md").write_text("Summarise {{ files[0].content }}\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("a\n")
    return tmp_path


@pytest.mark.parametrize("command", ["explain", "build", "status"])
def test_a_prompt_file_named_as_a_target_says_which_agent_it_prompts(project: Path, command: str) -> None:
    run = agentmake(project, command, "prompts/sum.md")
    assert run.returncode == 2 and "Traceback" not in run.stderr, run
    assert run.stderr.strip() == (
        "agentmake: error: 'prompts/sum.md' is the prompt of sum, not an output: name an output, an agent "
        "or a report (`agentmake explain sum` says why it would run)"
    ), run.stderr


@pytest.mark.parametrize("source", ["Agentfile", "common.Agentfile", "./common.Agentfile"])
def test_the_agentfile_or_an_include_named_as_a_target_says_what_it_is(project: Path, source: str) -> None:
    run = agentmake(project, "explain", source)
    assert run.returncode == 2 and "Traceback" not in run.stderr, run
    name = source.removeprefix("./")
    assert run.stderr.strip() == (
        f"agentmake: error: '{source}' is a file agentmake reads to load the Agentfile, not an output: "
        "name an output, an agent or a report"
    ), run.stderr
    assert name in run.stderr
