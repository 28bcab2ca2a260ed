"""The cyclic collector is paused while the program starts (the console script, `agentmake.launch`) and
resumed, with start-up's objects frozen, once the build loop starts or another command begins."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from agentmake import cli, gcpause, launch


def test_pause_and_end_startup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gcpause, "_paused_for_startup", False)
    assert gc.isenabled()
    try:
        gcpause.pause_startup()
        assert not gc.isenabled()
        frozen = gc.get_freeze_count()
        gcpause.end_startup()
        assert gc.isenabled() and gc.get_freeze_count() > frozen  # start-up's objects are never rescanned
        gc.disable()  # paused by someone else: end_startup leaves it so
        gcpause.end_startup()
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()


def test_the_console_script_imports_the_cli_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    monkeypatch.setattr(gcpause, "_paused_for_startup", False)
    monkeypatch.setattr(cli, "main", lambda: seen.append(gc.isenabled()) or 0)
    try:
        assert launch.main() == 0
    finally:
        gc.enable()
    assert seen == [False]


SCRIPT = """
import gc, sys
from agentmake import cli, gcpause
enabled = []
real = gcpause.end_startup
def spy():
    real()
    enabled.append(gc.isenabled())
gcpause.end_startup = spy
import agentmake.scheduler.loop as loop
loop.end_startup = spy
cli.end_startup = spy
gcpause.pause_startup()
code = cli.main(sys.argv[1:])
print(code, enabled, gc.isenabled())
"""


@pytest.mark.parametrize("command", ["build", "status"])
def test_a_command_resumes_the_collector(tmp_path: Path, command: str) -> None:
    (tmp_path / "Agentfile").write_text('agent a:\n    outputs = a.txt\n    run = "echo a > {output}"\n')
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, "-C", str(tmp_path), "-s", command], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[-2] == "0 [True] True", run.stdout  # resumed once, and on at the end
