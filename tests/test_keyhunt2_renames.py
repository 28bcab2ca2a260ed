"""An agent renamed (same prompt, inputs and outputs) is the same task under another name: its key is the
same, so nothing runs or is restored, and what the task's record said of its outputs still holds under the
new name (real CLI, fake agents)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENT = '''\
agent {name}:
    inputs = in.txt
    outputs = out.md
    prompt = """
        FAKE: label=write
        {{{{ read(input) }}}}
        """
'''


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("in.txt", "hello\n")
    e2e.write("Agentfile", AGENT.format(name="write"))
    assert e2e.am().summary.ran == 1
    return e2e


def test_a_renamed_agent_keeps_the_hand_edit_of_its_output(e2e: E2E) -> None:
    """A hand edit of an output is kept while nothing else changes. Renaming its agent changes nothing the
    key holds, yet the new task had no record, so the edited output read as a file agentmake never made:
    the build saved it aside ('output agentmake did not make saved') and put the cached result back."""
    e2e.write("out.md", "my own version\n")
    assert "out.md was edited by hand; keeping it" in e2e.am().text
    e2e.write("Agentfile", AGENT.format(name="writer"))
    dry = e2e.am("-n")
    assert "agentmake: 0 to run, 1 up to date (dry run)" in dry.out, dry
    build = e2e.am()
    assert (build.summary.ran, build.summary.cached, build.summary.up_to_date) == (0, 0, 1), build
    assert "did not make" not in build.text, build
    assert e2e.read("out.md") == "my own version\n"
    assert not e2e.exists(".agentmake/edited")
    # the new name's record knows what agentmake wrote: an input change saves the edit before the run
    e2e.write("in.txt", "bye\n")
    rerun = e2e.am()
    assert rerun.summary.ran == 1, rerun
    assert "hand-edited output saved: out.md" in rerun.text, rerun
    saved = (e2e.root / ".agentmake" / "edited").rglob("out.md")
    assert [p.read_text() for p in saved] == ["my own version\n"]
    assert e2e.calls("write") == ["write", "write"]


def test_a_renamed_agent_with_its_output_untouched_is_up_to_date(e2e: E2E) -> None:
    """The plain rename: no call, nothing restored, and explain says it is up to date."""
    e2e.write("Agentfile", AGENT.format(name="writer"))
    assert "out.md [writer] is up to date" in e2e.am("explain", "writer").out
    build = e2e.am()
    assert (build.summary.ran, build.summary.cached, build.summary.up_to_date) == (0, 0, 1), build
    assert e2e.calls("write") == ["write"]
