"""A new user's bad Agentfiles: each error the graph or the loader finds says, besides file:line:col, the
line and a caret, what was expected there (an `expected:` line), exits 2 and prints no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAD = "agent x:\n    prompt = p.md\n"

CASES = {
    "output above the project": (HEAD + "    inputs = a.md\n    outputs = ../x.md\n", 4, "../x.md"),
    "absolute output": (HEAD + "    inputs = a.md\n    outputs = /tmp/x.md\n", 4, "/tmp/x.md"),
    "output in the state": (HEAD + "    inputs = a.md\n    outputs = .agentmake/x.md\n", 4, ".agentmake"),
    "output with a glob": (HEAD + "    inputs = a.md\n    outputs = out/*.md\n", 4, "out/*.md"),
    "cycle": (
        HEAD + "    inputs = out/y.md\n    outputs = out/x.md\n"
        "agent y:\n    prompt = p.md\n    inputs = out/x.md\n    outputs = out/y.md\n",
        3,
        "out/y.md",
    ),
    "input is its own output": (HEAD + "    inputs = out/x.md\n    outputs = out/x.md\n", 3, "out/x.md"),
    "output declared twice": (
        HEAD + "    inputs = a.md\n    outputs = out/x.md\n"
        "agent y:\n    prompt = p.md\n    inputs = a.md\n    outputs = out/x.md\n",
        8,
        "out/x.md",
    ),
    "key set twice": (HEAD + "    inputs = a.md\n    outputs = out/x.md\n    inputs = p.md\n", 5, "inputs"),
    "directory output": (HEAD + "    inputs = a.md\n    outputs = out/\n", 4, "out/"),
    "fan-out writing one file": (HEAD + "    inputs = d/{n}.md\n    outputs = out/x.md\n", 4, "out/x.md"),
    "report output with a wildcard": ("report r:\n    inputs = a.md\n    output = {n}.md\n", 3, "{n}.md"),
    "template missing": (
        HEAD + "    inputs = a.md\n    outputs = out/x.md\n"
        "report r:\n    inputs = out/x.md\n    output = R.md\n    template = t.j2\n",
        8,
        "t.j2",
    ),
    "prompt missing": (
        "agent x:\n    prompt = nope.md\n    inputs = a.md\n    outputs = out/x.md\n",
        2,
        "nope.md",
    ),
    "include loop": (
        'include "Agentfile"\n' + HEAD + "    inputs = a.md\n    outputs = out/x.md\n",
        1,
        "include",
    ),
    "reserved wildcard": (HEAD + "    inputs = d/{input}.md\n    outputs = out/{input}.md\n", 3, "{input}"),
    "commas between inputs": (HEAD + "    inputs = a.md, p.md\n    outputs = out/x.md\n", 3, "a.md,"),
    "report named like an agent": (
        HEAD
        + "    inputs = a.md\n    outputs = out/x.md\nreport x:\n    inputs = out/x.md\n    output = R.md\n",
        5,
        "report x:",
    ),
    "missing input": (HEAD + "    inputs = nope.md\n    outputs = out/x.md\n", 3, "nope.md"),
    "glob matching nothing": (HEAD + "    inputs = docs/*.txt\n    outputs = out/x.md\n", 3, "docs/*.txt"),
    "unknown variable": (HEAD + "    inputs = a.md\n    outputs = out/${dir}/x.md\n", 4, "${dir}"),
    # the parser's own (wrong indentation, a name that is none)
    "indentation of no block": (HEAD + "  inputs = a.md\n", 3, "inputs"),
    "indented too far": (HEAD + "     inputs = a.md\n", 3, "inputs"),
    "name starting with a digit": ("agent 1x:\n    prompt = p.md\n", 1, "agent 1x:"),
    "name from a variable": ("n = x\nagent ${n}:\n    prompt = p.md\n", 2, "agent ${n}:"),
    "env naming no variable": (
        'runner r:\n    command = "mytool"\n    env = HOME 5\n'
        + HEAD
        + "    runner = r\n    outputs = o.md\n",
        3,
        "env = HOME 5",
    ),
    "env with a comma": ('runner r:\n    command = "mytool"\n    env = HOME, PATH\n', 3, "env = HOME, PATH"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_located_agentfile_error_says_what_was_expected(tmp_path: Path, name: str) -> None:
    text, line, quoted = CASES[name]
    (tmp_path / "Agentfile").write_text(text)
    (tmp_path / "p.md").write_text("Say hi.\n")
    (tmp_path / "a.md").write_text("a\n")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "b.md").write_text("b\n")
    (tmp_path / "d" / "c.md").write_text("c\n")
    env = {**os.environ, "NO_COLOR": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "agentmake", "check"], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.startswith(f"Agentfile:{line}:"))
    assert ": error: " in lines[head], lines
    assert quoted in lines[head + 1], lines
    assert lines[head + 2].strip() == "^", lines
    assert any(ln.startswith("expected: ") for ln in lines[head + 3 :]), run.stderr


TWICE = {
    "written twice": "    inputs = a.md\n    outputs = out/x.md out/x.md\n",
    "twice through ./": "    inputs = a.md\n    outputs = out/x.md out/./x.md\n",
    "twice through a wildcard": "    inputs = d/{n}.md\n    outputs = out/{n}.md out/{n}/../{n}.md\n",
}


@pytest.mark.parametrize("name", list(TWICE))
def test_an_agent_naming_one_output_twice_is_refused_before_any_call(tmp_path: Path, name: str) -> None:
    """Accepted, the task waited for two files at one path: every attempt (each paid for) then failed with
    `claude did not write out/x.md, out/x.md`. Nor is it 'already declared by' the agent itself."""
    (tmp_path / "Agentfile").write_text(HEAD + TWICE[name])
    (tmp_path / "p.md").write_text("Say hi.\n")
    (tmp_path / "a.md").write_text("a\n")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "b.md").write_text("b\n")
    (tmp_path / "d" / "c.md").write_text("c\n")
    env = {**os.environ, "NO_COLOR": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "agentmake", "check"], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and "already declared" not in run.stderr, run.stderr
    head = run.stderr.splitlines()[0]
    assert head.startswith("Agentfile:4:") and "twice" in head, run.stderr
    assert "expected: each output once" in run.stderr, run.stderr


def test_a_block_named_by_a_variable_is_told_variables_are_not_read_there(tmp_path: Path) -> None:
    """`agent ${n}:` was offered `agent _n_:` as a spelling; the name is not where variables are read."""
    (tmp_path / "Agentfile").write_text("n = x\nagent ${n}:\n    prompt = p.md\n")
    run = subprocess.run(
        [sys.executable, "-m", "agentmake", "check"], cwd=tmp_path, capture_output=True, text=True
    )
    assert run.returncode == 2 and "variables are not read there" in run.stderr, run.stderr
    assert "_n_" not in run.stderr, run.stderr
