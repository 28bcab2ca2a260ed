"""A target named like a command (`clean`, `status`, `build`...): the command wins (`agentmake clean`
removes every output, it does not build agent `clean`), as documented, but nothing told a user who named
an agent so. `check` says it now, with the spelling that builds the target."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from agentmake.cli import main


def test_check_points_out_a_target_named_like_a_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.txt").write_text("a\n")
    (tmp_path / "Agentfile").write_text(
        'agent clean:\n    run = "cp {input} {output}"\n    inputs = a.txt\n    outputs = b.txt\n\n'
        "report status:\n    inputs = b.txt\n    output = S.md\n\n"
        'agent tidy:\n    run = "cp {input} {output}"\n    inputs = a.txt\n    outputs = c.txt\n'
    )
    assert main(["-C", str(tmp_path), "check"]) == 0
    err = capsys.readouterr().err
    here = f"agentmake -C {shlex.quote(str(tmp_path))}"  # (the -C given, kept in the commands it names)
    assert (
        f"warning: agent 'clean' is named like a command: `{here} clean` runs the command; build the agent"
        f" with `{here} build clean`"
    ) in err
    assert "report 'status' is named like a command" in err and f"`{here} build status`" in err
    assert "tidy" not in err
    assert main(["-C", str(tmp_path), "-s", "build", "clean"]) == 0  # (the spelling it gives builds it)
    assert (tmp_path / "b.txt").read_text() == "a\n"
