"""What agentmake keeps of each attempt, the rendered prompt (`.agentmake/tasks/`) and what the agent and its
`check` printed (`.agentmake/logs/`), is owner-only whatever the umask: files 0600 in directories 0700, as
the job directories under `.agentmake/home/` are. A directory or a prompt an older version left readable is
made owner-only by the next build that writes there; an older log keeps its mode (it sits in a directory
nobody else can open)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from conftest import FakeAgents

AGENTFILE = """\
agent ask:
    runner = claude
    inputs = src.md
    outputs = out/ask.md
    prompt = \"\"\"
        FAKE: label=ask stderr=thinking aloud
        {{ read(input) }}
        \"\"\"

agent sh:
    inputs = src.md
    outputs = out/sh.txt
    run = "cat {inputs}; echo said >&2; cp {inputs} {output}"
    check = "cat {output}; echo checked >&2"
"""


def _build(root: Path, fake: FakeAgents, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentmake", *args], cwd=root, env=fake.env() | {"CI": "1"},
        capture_output=True, text=True, timeout=60, umask=0o022,
    )  # fmt: skip


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_prompts_and_logs_are_owner_only_under_a_permissive_umask(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    (tmp_path / "src.md").write_text("the document\n")
    proc = _build(tmp_path, fake_agents)
    assert proc.returncode == 0, proc
    state = tmp_path / ".agentmake"
    logs = sorted(p.name for p in (state / "logs").iterdir())
    for name in ("ask.1.out", "ask.1.err", "sh.1.out", "sh.1.err", "sh.1.check.out", "sh.1.check.err"):
        assert name in logs, logs
        assert _mode(state / "logs" / name) == 0o600, name
    # and so is every other file there: the key an answer was asked for (`.key`), a success's mark (`.done`)
    loose = {p.name: oct(_mode(p)) for p in (state / "logs").rglob("*") if p.is_file() and _mode(p) != 0o600}
    assert loose == {} and any(name.endswith(".key") for name in logs), (loose, logs)
    assert _mode(state / "tasks" / "ask.prompt") == 0o600
    assert "the document" in (state / "tasks" / "ask.prompt").read_text()
    assert _mode(state / "logs") == 0o700 and _mode(state / "tasks") == 0o700
    assert _mode(tmp_path / "out" / "sh.txt") == 0o644  # (the outputs are the project's: the umask's)


def test_what_an_older_version_left_readable_is_made_owner_only_by_the_next_build(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    (tmp_path / "src.md").write_text("the document\n")
    state = tmp_path / ".agentmake"
    (state / "logs").mkdir(parents=True, mode=0o755)
    (state / "tasks").mkdir(mode=0o755)
    for path in (state / "logs", state / "tasks"):
        os.chmod(path, 0o755)
    old_log, old_prompt = state / "logs" / "gone.1.out", state / "tasks" / "ask.prompt"
    for path in (old_log, old_prompt):
        path.write_text("older\n")
        os.chmod(path, 0o644)
    assert _build(tmp_path, fake_agents).returncode == 0
    assert _mode(state / "logs") == 0o700 and _mode(state / "tasks") == 0o700
    assert _mode(old_prompt) == 0o600 and "the document" in old_prompt.read_text()  # rewritten: owner-only
    assert _mode(old_log) == 0o644  # (left as it was: a task no longer run; its directory shuts it away)
