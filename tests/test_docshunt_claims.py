"""docshunt: claims of README.md and grammar/README.md that no other test pinned, checked by the CLI.

Each test names the sentence it holds the product to. Shell agents only: no network, no fake CLI needed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_syntax import load

from agentmake.syntax.load import load_agentfile

COPY = 'agent a:\n    run = "cp {input} {output}"\n    inputs = in.txt\n    outputs = a.txt\n'


def am(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "CI": "1", "AGENTMAKE_BACKOFF": "0"}
    return subprocess.run(
        [sys.executable, "-m", "agentmake", "-s", *args], cwd=root, env=env, text=True, capture_output=True
    )


def test_what_is_not_in_the_key_reruns_nothing(tmp_path: Path) -> None:
    """README, How staleness works: "a comment, the order of keys, a `description`, a `touch` without a
    content change ... never reruns anything"."""
    (tmp_path / "in.txt").write_text("x\n")
    af = tmp_path / "Agentfile"
    af.write_text(COPY)
    assert "1 ran" in am(tmp_path).stdout
    af.write_text(
        '# a comment\nagent a:\n    outputs = a.txt   # moved up\n    description = "copies"\n'
        '    inputs = in.txt\n    run = "cp {input} {output}"\n'
    )
    os.utime(tmp_path / "in.txt", (1, 1))
    out = am(tmp_path).stdout
    assert "0 ran, 0 cached, 1 up to date" in out, out


def test_default_is_every_agent_when_there_are_no_reports(tmp_path: Path) -> None:
    """grammar/README.md, Settings: `default` ... "every report, or every agent when there are none"."""
    (tmp_path / "in.txt").write_text("x\n")
    (tmp_path / "Agentfile").write_text(COPY + COPY.replace("agent a:", "agent b:").replace("a.txt", "b.txt"))
    assert "2 ran" in am(tmp_path).stdout
    (tmp_path / "Agentfile").write_text(
        COPY
        + COPY.replace("agent a:", "agent b:").replace("a.txt", "b.txt")
        + "report r:\n    inputs = a.txt\n    output = R.md\n"
    )
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).unlink()
    am(tmp_path)
    assert (tmp_path / "a.txt").exists() and (tmp_path / "R.md").exists()
    assert not (tmp_path / "b.txt").exists()  # not read by the report: not built


def test_retries_default_to_two_so_three_attempts(tmp_path: Path) -> None:
    """grammar/README.md, Settings: `retries` ... default 2 (retries after a failed attempt)."""
    (tmp_path / "in.txt").write_text("x\n")
    (tmp_path / "Agentfile").write_text(COPY.replace("cp {input} {output}", "echo . >> tries; exit 1"))
    run = am(tmp_path)
    assert run.returncode == 1
    assert (tmp_path / "tries").read_text().count(".") == 3


def test_exit_codes_as_make(tmp_path: Path) -> None:
    """README: "Exit codes as make: 0 success, 1 a build failed, 2 usage or Agentfile error"; `-q` exits 1
    if anything is stale."""
    (tmp_path / "in.txt").write_text("x\n")
    (tmp_path / "Agentfile").write_text(COPY)
    assert am(tmp_path, "-q").returncode == 1
    assert am(tmp_path).returncode == 0
    assert am(tmp_path, "-q").returncode == 0
    assert am(tmp_path, "nosuch").returncode == 2
    assert am(tmp_path, "-j", "0").returncode == 2
    (tmp_path / "Agentfile").write_text(COPY + "jobs = 0\n")
    assert am(tmp_path).returncode == 2


@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("false", False), ("yes", True), ("no", False), ("on", True), ("off", False)],
)
def test_summary_booleans(tmp_path: Path, text: str, value: bool) -> None:
    """grammar/README.md, Values: booleans (`summary`: `true`/`false`; `yes`/`no`, `on`/`off`...)."""
    (tmp_path / "in.txt").write_text("x\n")
    af = load(tmp_path, f"report r:\n    inputs = in.txt\n    output = R.md\n    summary = {text}\n")
    assert af.reports["r"].summary is value


def test_typed_settings(tmp_path: Path) -> None:
    """grammar/README.md, Values: `cache_size` an integer, `backoff` a duration, `budget` a number."""
    (tmp_path / "in.txt").write_text("x\n")
    (tmp_path / "Agentfile").write_text("cache_size = 7\nbackoff = 1.5m\nbudget = 0.25\n" + COPY)
    s = load_agentfile(tmp_path / "Agentfile").settings
    assert (s.cache_size_mb, s.backoff, s.budget) == (7, 90.0, 0.25)
