"""Messages read as English: an agent with neither `prompt` nor `run`, a name that is already an agent, and a
summary table whose cost column is as wide as its widest cost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from agentmake.display.base import summary_lines
from agentmake.scheduler.events import BuildResult, TaskOutcome


def check(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "Agentfile").write_text(text)
    cmd = [sys.executable, "-m", "agentmake", "check"]
    return subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=60)


def test_an_agent_with_neither_prompt_nor_run_says_neither_nor(tmp_path: Path) -> None:
    proc = check(tmp_path, "agent a:\n    outputs = x\n")
    assert proc.returncode == 2
    assert "agent 'a' has neither `prompt` nor `run`; it needs exactly one" in proc.stderr


def test_an_agent_with_both_says_both(tmp_path: Path) -> None:
    proc = check(tmp_path, 'agent a:\n    outputs = x\n    run = "true"\n    prompt = "hi"\n')
    assert proc.returncode == 2
    assert "agent 'a' has both `prompt` and `run`; it needs exactly one" in proc.stderr


def test_a_name_taken_by_an_agent_says_an_agent_and_by_a_report_a_report(tmp_path: Path) -> None:
    agent = 'agent a:\n    outputs = x\n    run = "true"\n'
    report = "report a:\n    inputs = x\n    output = y\n"
    proc = check(tmp_path, agent + agent.replace("= x", "= z"))
    assert proc.returncode == 2 and "duplicate name 'a': already an agent at Agentfile:1:7" in proc.stderr
    proc = check(tmp_path, report + agent)
    assert proc.returncode == 2 and "duplicate name 'a': already a report at Agentfile:1:8" in proc.stderr


def test_the_cost_column_is_as_wide_as_its_widest_cost() -> None:
    result = BuildResult(1)
    for task_id, cost in (("cheap", 0.000051), ("dear", 12.5)):
        result.outcomes[task_id] = TaskOutcome(
            task_id, "done", started_at=1.0, ended_at=2.0, attempts=1, cost_usd=cost
        )
    lines = [line for line in summary_lines(result) if line.strip()]
    header, rows = lines[0], lines[1:3]
    # ($0.000051 makes the column 9 wide: said in full, as the summary line says it; ux27)
    assert header.endswith("s       cost") and rows[0].endswith("  $0.000051")
    # (and the dear one to six decimals too, so that the rows add up to the total, $12.500051; ux28)
    assert rows[1].endswith(" $12.500000")
    assert {len(header), len(rows[0]), len(rows[1])} == {len(header)}  # every right edge in one column


def test_a_variable_with_a_dash_read_in_a_prompt_gets_a_hint(tmp_path: Path) -> None:
    # `{{ my-var }}` is `my` minus `var` to Jinja: "'my' is undefined" alone leaves the user guessing
    proc = check(tmp_path, 'my-var = 1\nagent a:\n    prompt = "x {{ my-var }}"\n    outputs = o.md\n')
    assert proc.returncode == 2 and "'my' is undefined" in proc.stderr
    assert "'my-var' has a '-', which a template reads as a minus" in proc.stderr


def test_a_fan_in_written_as_a_fan_out_gets_a_hint_naming_the_wildcard(tmp_path: Path) -> None:
    # `inputs = docs/{n}.md` with `outputs = all.txt`: every match makes a task writing all.txt
    (tmp_path / "docs").mkdir()
    for name in ("a", "b"):
        (tmp_path / "docs" / f"{name}.md").write_text(name)
    proc = check(tmp_path, 'agent one:\n    inputs = docs/{n}.md\n    outputs = all.txt\n    run = "true"\n')
    assert proc.returncode == 2 and "'all.txt' is produced by both 'one:a' and 'one:b'" in proc.stderr
    assert "agent 'one' makes a task per match of {n}, each writing 'all.txt'" in proc.stderr


def test_a_python_syntax_error_is_told_by_what_it_is_then_where(tmp_path: Path) -> None:
    # a shell agent running a Python tool with a syntax error: its first stderr line says only where
    (tmp_path / "tool.py").write_text("import sys\nfrom __future__ import annotations\n")
    agentfile = f'agent a:\n    outputs = o.txt\n    run = "{sys.executable} tool.py"\n'
    (tmp_path / "Agentfile").write_text(agentfile)
    cmd = [sys.executable, "-m", "agentmake", "retries=0"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    said = "exited with code 1: SyntaxError: from __future__ imports must occur at the beginning of the file"
    assert said in proc.stderr and 'tool.py", line 2)' in proc.stderr


def test_check_warns_of_an_environment_variable_written_in_a_runners_command(tmp_path: Path) -> None:
    # a runner's command runs without a shell: `$OPENAI_API_KEY` reaches the CLI as those 15 characters
    runner = 'runner l:\n    base = llm\n    command = "llm --key $OPENAI_API_KEY -m x"\n'
    proc = check(tmp_path, runner + 'agent a:\n    runner = l\n    prompt = "hi"\n    outputs = o.md\n')
    assert proc.returncode == 0
    assert "runner l: its command passes $OPENAI_API_KEY as written" in proc.stderr
    assert "name it in `env = OPENAI_API_KEY`" in proc.stderr


def test_read_of_input_in_an_agent_with_no_inputs_is_refused_by_check(tmp_path: Path) -> None:
    # `input` is '' for a task with no inputs: every render failed; check said ok, -n exited 2 (checkhunt)
    proc = check(tmp_path, 'agent a:\n    prompt = "summarise {{ read(input) }}"\n    outputs = a.md\n')
    assert proc.returncode == 2 and "read(input): task a has no inputs" in proc.stderr
    assert "Agentfile:2:28" in proc.stderr  # (at the call)
