"""The executable bit of a shell agent's input is part of its key: `chmod +x tool.sh` (content unchanged)
changes what a command can do with it (run it; copy, install or archive it with its mode), so the task
reruns and explain says why, as git and bazel count the bit as content. Before, a chmod changed nothing: the
build (and its stamp) said "up to date" and kept, e.g., an archive of the script that was not executable.
An LLM agent only reads its inputs: a chmod reruns none. Real builds, real files, the real state."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("tool.sh", "#!/bin/sh\necho tool ran\n")
    e2e.write(
        "Agentfile",
        """\
        agent ship:
            inputs = tool.sh
            outputs = dist/tool.sh
            run = "mkdir -p dist && cp -p {input} {output}"
        """,
    )
    return e2e


def _executable(path: Path) -> bool:
    return bool(path.stat().st_mode & stat.S_IXUSR)


def _chmod(path: Path, executable: bool) -> None:
    mode = path.stat().st_mode
    path.chmod(mode | 0o111 if executable else mode & ~0o111)


def test_making_a_shell_agents_input_executable_reruns_it(e2e: E2E) -> None:
    assert e2e.am().code == 0
    assert not _executable(e2e.root / "dist/tool.sh")
    assert e2e.am().summary.up_to_date == 1
    assert e2e.am().summary.up_to_date == 1  # (the build stamp's answer, too)
    _chmod(e2e.root / "tool.sh", True)
    explained = e2e.am("explain", "ship")
    assert "input tool.sh made executable" in explained.text, explained
    run = e2e.am()
    assert run.summary.ran == 1, run
    assert _executable(e2e.root / "dist/tool.sh")
    assert e2e.am().summary.up_to_date == 1
    assert e2e.am().summary.up_to_date == 1
    _chmod(e2e.root / "tool.sh", False)
    explained = e2e.am("explain", "ship")
    assert "input tool.sh no longer executable" in explained.text, explained
    run = e2e.am()
    assert run.summary.ran + run.summary.cached == 1, run  # (the first result, from the cache)
    assert not _executable(e2e.root / "dist/tool.sh")


def test_the_mode_of_an_llm_agents_input_reruns_nothing(e2e: E2E) -> None:
    e2e.write(
        "Agentfile",
        """\
        agent sum:
            runner = claude
            inputs = tool.sh
            outputs = sum.md
            prompt = "FAKE: label=sum\\nSum up {{ read(input) }}"
        """,
    )
    assert e2e.am().code == 0
    _chmod(e2e.root / "tool.sh", True)
    run = e2e.am()
    assert run.summary.up_to_date == 1, run
    assert e2e.calls("sum") == ["sum"]


def test_a_record_from_before_modes_were_keyed_is_kept(e2e: E2E) -> None:
    """A record an agentmake that did not key the bit wrote (its parts without "executable", nor the memo
    saying modes were keyed) is of the same result when its key is that of the parts without the bit: the
    task is up to date, not run again after the upgrade."""
    from agentmake.plan.keys import key_of

    _chmod(e2e.root / "tool.sh", True)
    assert e2e.am().code == 0
    db = sqlite3.connect(e2e.root / ".agentmake" / "state.db")
    with db:
        (raw,) = db.execute("SELECT parts FROM tasks WHERE task_id = 'ship'").fetchone()
        parts = json.loads(raw)
        assert parts.pop("executable") == ["tool.sh"] and parts.pop("_modes")
        parts.pop("_memo", None)
        db.execute(
            "UPDATE tasks SET parts = ?, key = ?, memo = '' WHERE task_id = 'ship'",
            (json.dumps(parts), key_of(parts)),
        )
    db.close()
    (e2e.root / ".agentmake" / "stamp").unlink(missing_ok=True)
    run = e2e.am()
    assert run.summary.up_to_date == 1, run
    explained = e2e.am("explain", "ship")
    assert "up to date" in explained.text, explained
