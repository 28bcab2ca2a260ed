"""What a newcomer's Agentfile slips are told, by `agentmake check`: a name used twice says "an agent" and
what to do, a misspelt setting names its line, and a fan-out whose outputs lack its wildcard is pointed out
while it still loads (one file matches), before a second file makes it an error; and a prompt path with a
`{wildcard}` says that one prompt serves every task."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def check(root: Path, text: str) -> subprocess.CompletedProcess[str]:
    (root / "Agentfile").write_text(text)
    cmd = [sys.executable, "-m", "agentmake", "check"]
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=60)


def test_a_duplicate_agent_name_reads_as_english_and_says_what_to_do(tmp_path: Path) -> None:
    agent = 'agent scan:\n    run = "true"\n    outputs = {}\n'
    proc = check(tmp_path, agent.format("a") + agent.format("b"))
    assert proc.returncode == 2
    assert "Agentfile:4:7: error: duplicate name 'scan': already an agent at Agentfile:1:7" in proc.stderr
    assert "expected: an agent name not used above" in proc.stderr
    assert "rename one of the two" in proc.stderr
    report = "report scan:\n    inputs = a\n    output = r.md\n"
    proc = check(tmp_path, agent.format("a") + report)
    assert "expected: a report name not used above" in proc.stderr


def test_a_misspelt_setting_names_the_line_that_assigns_it(tmp_path: Path) -> None:
    proc = check(tmp_path, 'agent a:\n    run = "true"\n    outputs = o\n\njob = 4\n')
    assert proc.returncode == 0
    said = "warning: 'job' (Agentfile:5) is taken as a variable, not a setting: did you mean 'jobs'?"
    assert said in proc.stderr


FAN_IN = 'agent scan:\n    run = "cat {inputs} > {output}"\n'
FAN_IN += "    inputs = src/{name}.py\n    outputs = build/all.md\n"


def test_a_wildcard_missing_from_the_outputs_is_warned_of_while_one_file_matches(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("a = 1\n")
    proc = check(tmp_path, FAN_IN)
    assert proc.returncode == 0
    warning = (
        "warning: scan: {name} is in its inputs but not in its outputs (Agentfile:4:15): each file it matches"
        " is a task writing build/all.md, so a second such file will stop the Agentfile from loading"
    )
    assert warning in proc.stderr
    assert "put {name} in its outputs too, or read every match in one task with a glob (*)" in proc.stderr
    (tmp_path / "src" / "b.py").write_text("b = 1\n")  # the error it foretold
    proc = check(tmp_path, FAN_IN)
    assert proc.returncode == 2 and "'build/all.md' is produced by both 'scan:a' and 'scan:b'" in proc.stderr


def test_a_wildcard_held_by_the_outputs_is_no_warning(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("a = 1\n")
    proc = check(tmp_path, FAN_IN.replace("build/all.md", "build/{name}.md"))
    assert proc.returncode == 0 and "warning" not in proc.stderr, proc.stderr


def test_a_prompt_path_with_a_wildcard_says_one_prompt_serves_every_task(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("a = 1\n")
    agentfile = "agent scan:\n    prompt = prompts/{name}.md\n    inputs = src/{name}.py\n"
    proc = check(tmp_path, agentfile + "    outputs = build/{name}.md\n")
    assert proc.returncode == 2
    assert "Agentfile:2:14: error: prompt file 'prompts/{name}.md' not found" in proc.stderr
    hint = "a prompt file's path takes no wildcard: one prompt serves every task of the agent; write it once"
    assert hint in proc.stderr and "let it say what differs with {{ name }}" in proc.stderr


def test_an_output_wildcard_no_input_binds_says_what_was_expected_and_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("a = 1\n")
    agentfile = 'agent scan:\n    run = "true"\n    inputs = src/*.py\n    outputs = build/{name}.md\n'
    proc = check(tmp_path, agentfile)
    assert proc.returncode == 2
    assert (
        "Agentfile:4:15: error: wildcard '{name}' in output 'build/{name}.md' is bound by no input"
        in proc.stderr
    )
    assert "\nexpected: an input pattern with {name} in it\n" in proc.stderr
    assert (
        "put {name} in an input pattern (inputs = src/{name}.md), or write the output without it"
        in proc.stderr
    )


def test_two_agents_declaring_one_output_are_told_both_ways_out(tmp_path: Path) -> None:
    agent = 'agent {}:\n    run = "true"\n    outputs = build/scan.md\n'
    proc = check(tmp_path, agent.format("scan") + agent.format("scan2"))
    assert proc.returncode == 2
    assert "Agentfile:6:15: error: output 'build/scan.md' is already declared by 'scan'" in proc.stderr
    said = "rename one of the two, or, if 'scan2' is to read the file 'scan' makes, list it in its inputs"
    assert said in proc.stderr
