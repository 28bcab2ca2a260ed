"""An output renamed in the Agentfile makes a build call the agent again (the key names the outputs); `-n`
and `status` say how to keep the result instead: `mv OLD NEW && agentmake -t TASK` (newuser6: renaming
build/findings/quality.md paid for the review again, and nothing said the move and -t would keep it).
Following the hint calls nothing; a task stale for more than the rename gets no hint."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
agent a:
    inputs = a.md
    outputs = out/a.md
    prompt = "FAKE: label=a\\n{{ read(input) }}"
"""
HINT = (
    "agentmake: hint: a: its output out/a.md is now out/renamed.md in the Agentfile, so a build calls its"
    " agent again; `mv out/a.md out/renamed.md && agentmake -t a` keeps the result it made, calling nothing"
)


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    e2e.write("a.md", "alpha\n")
    assert e2e.am().code == 0
    e2e.write("Agentfile", AGENTFILE.replace("out/a.md", "out/renamed.md"), dedent=False)
    return e2e


@pytest.mark.parametrize("args", [("-n",), ("status",)])
def test_a_renamed_output_gets_the_hint(e2e: E2E, args: tuple[str, ...]) -> None:
    run = e2e.am(*args)
    assert run.code == 0, run
    assert HINT in run.err.splitlines(), run


def test_following_the_hint_calls_nothing(e2e: E2E) -> None:
    (e2e.root / "out/a.md").rename(e2e.root / "out/renamed.md")
    assert e2e.am("-t", "a").code == 0
    run = e2e.am()
    assert run.code == 0 and run.summary.ran == 0, run
    assert e2e.calls() == ["a"]  # (the first build's call alone)


def test_no_hint_when_more_than_the_name_changed(e2e: E2E) -> None:
    e2e.write("a.md", "beta\n")
    run = e2e.am("-n")
    assert "agentmake: hint:" not in run.err, run
