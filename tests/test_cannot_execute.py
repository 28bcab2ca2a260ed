"""A program that is found but cannot be executed (no execute permission, or not a program for this machine:
exit 126, from the shell or from agentmake's process starter) fails at once: another attempt would fail
alike, as a program that is not found (127) does."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main


def _attempts(root: Path, task: str) -> int:
    """How many attempts of `task` left logs (`.agentmake/logs/TASK.N.err`, ...)."""
    logs = root / ".agentmake" / "logs"
    return len({p.name.split(".")[1] for p in logs.iterdir() if p.name.startswith(f"{task}.")})


@pytest.mark.parametrize(
    "agent",
    [
        # an LLM-style runner whose program is not one this machine can execute (ENOEXEC in the starter)
        'runner mine:\n    command = "./bad --flag"\nagent a:\n    outputs = out.txt\n'
        '    prompt = "hello"\n    runner = mine\n',
        # a shell agent running a file without execute permission (sh: Permission denied, 126)
        'agent a:\n    outputs = out.txt\n    run = "./plain > {output}"\n',
    ],
)
def test_a_program_that_cannot_be_executed_fails_at_once(
    tmp_path: Path, agent: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bad").write_bytes(b"\x7fELF not really a program\n")
    (tmp_path / "bad").chmod(0o755)
    (tmp_path / "plain").write_text("echo made\n")  # (no execute permission)
    (tmp_path / "Agentfile").write_text("retries = 2\n" + agent)
    monkeypatch.setenv("AGENTMAKE_BACKOFF", "0.01")  # (were it retried, the test would not wait long)
    assert main(["-C", str(tmp_path), "-s"]) == 1
    err = capsys.readouterr().err
    assert "cannot execute (" in err and ("Exec format error" in err or "Permission denied" in err), err
    assert _attempts(tmp_path, "a") == 1  # not retried
    assert not (tmp_path / "out.txt").exists()
