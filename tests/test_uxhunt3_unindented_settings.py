"""A block's line that lost its indentation and names a setting too (`timeout = 5m` at column 1 right under
an agent's lines) silently set the default of every agent: `check` said ok and the build ran every agent
with it. It is pointed out now, by `check` and by every load; a blank line (or a comment line) between the
block and the setting says it is meant for the whole file, and then nothing is said."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main

AGENT = """agent {name}:
    run     = "cat {{input}} > {{output}}"
    inputs  = src.txt
    outputs = {name}.txt
"""


def write(root: Path, agentfile: str) -> Path:
    (root / "Agentfile").write_text(agentfile)
    (root / "src.txt").write_text("x\n")
    return root / "Agentfile"


@pytest.mark.parametrize("line", ["timeout = 5m", "retries = 0", "runner = codex", "model = sonnet"])
def test_a_setting_at_column_1_right_under_an_agent_is_pointed_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str
) -> None:
    agentfile = write(tmp_path, AGENT.format(name="scan") + line + "\n\n" + AGENT.format(name="other"))
    assert main(["-C", str(tmp_path), "check"]) == 0  # (valid: it does set every agent's)
    err = capsys.readouterr().err
    key = line.split()[0]
    assert f"warning: '{line}' ({agentfile}:5) sets the {key} of every agent that sets none" in err, err
    assert "to set agent scan's, indent it" in err
    assert main(["-C", str(tmp_path), "-s", "scan"]) == 0  # a build says so too, once
    assert capsys.readouterr().err.count(f"'{line}' ({agentfile}:5)") == 1


def test_under_a_runner_block_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, 'runner claude:\n    command = "claude -p"\nretries = 5\n')
    assert main(["-C", str(tmp_path), "check"]) == 0
    assert "'retries = 5' (" in capsys.readouterr().err


@pytest.mark.parametrize(
    "between",
    [
        "\n",  # a blank line
        "# every agent's:\n",  # a comment at column 1
    ],
)
def test_a_setting_set_apart_from_the_block_is_meant_for_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], between: str
) -> None:
    write(tmp_path, AGENT.format(name="scan") + between + "timeout = 5m\nretries = 1\n")
    assert main(["-C", str(tmp_path), "check"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_a_setting_no_block_takes_and_one_the_command_line_overrides_are_not_pointed_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`jobs` is no agent's key; a report takes no `timeout`; `timeout=1m` on the command line wins over
    the line, which then sets nothing."""
    report = "report r:\n    inputs = src.txt\n    output = R.md\ntimeout = 5m\n"
    write(tmp_path, AGENT.format(name="scan") + "jobs = 2\n\n" + report)
    assert main(["-C", str(tmp_path), "check"]) == 0
    assert "warning" not in capsys.readouterr().err
    write(tmp_path, AGENT.format(name="scan") + "timeout = 5m\n")
    assert main(["-C", str(tmp_path), "check", "timeout=1m"]) == 0
    assert "warning" not in capsys.readouterr().err
