"""`agentmake check` warns of a `check` command that cannot run: each task would pay for an answer, then
fail it."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main

AGENT = "agent a:\n    outputs = out.txt\n    {how}\n    check = {check}\n"
PROMPT = 'prompt = "Say hi"'

pytestmark = pytest.mark.usefixtures("fake_agents")  # (claude on PATH: else `— not buildable here`)


def check_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], check: str, how: str = PROMPT
) -> list[str]:
    (tmp_path / "Agentfile").write_text(AGENT.format(how=how, check=check))
    assert main(["-C", str(tmp_path), "check"]) == 0  # (a warning: PATH may differ where it builds)
    out = capsys.readouterr()
    assert out.out.endswith("— ok\n")
    return [line for line in out.err.splitlines() if "check command" in line]


@pytest.mark.parametrize("check", ["jsn", "JSON", '"json"', "Json"])
def test_a_misspelt_json_check_is_told_to_be_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], check: str
) -> None:
    """`check = jsn` is a command (only the bare word `json` is the JSON check): every build paid for the
    agent's answer, then failed it with `sh: jsn: not found`, while `agentmake check` said ok."""
    program = check.strip('"')
    assert check_warnings(tmp_path, capsys, check) == [
        f"agentmake: warning: a: its check command's program {program} is not found on PATH, so each of its"
        " tasks would pay for an answer, then fail: for the JSON check write `check = json` (bare, lower"
        " case: any other value is a command)"
    ]


def test_a_check_program_not_found_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    said = check_warnings(tmp_path, capsys, '"no-such-checker-xyz {output} > /dev/null"')
    assert said == [
        "agentmake: warning: a: its check command's program no-such-checker-xyz is not found on PATH, so each"
        " of its tasks would pay for an answer, then fail: install no-such-checker-xyz or fix the check"
    ]
    said = check_warnings(tmp_path, capsys, "scripts/check.sh", how='run = "echo hi > {output}"')
    assert said == [
        "agentmake: warning: a: its check command's program scripts/check.sh is not found (or cannot be"
        " executed), so each of its tasks would run, then fail: install scripts/check.sh or fix the check"
    ]
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts/check.sh").write_text("#!/bin/sh\n")
    (tmp_path / "scripts/check.sh").chmod(0o755)
    assert check_warnings(tmp_path, capsys, "scripts/check.sh") == []


@pytest.mark.parametrize(
    "check",
    ["json", '"sh -c true"', '"test -s {output}"', '"[ -s {output} ]"', '"{output}"', '"FOO=1 sh -c true"'],
)
def test_no_warning_for_a_check_that_can_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], check: str
) -> None:
    assert check_warnings(tmp_path, capsys, check) == []
