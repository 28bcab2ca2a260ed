"""`agentmake clean --leftovers` of an output that several forgotten tasks recorded (an agent renamed, then
dropped: each name's record still names the output, each with the content it made then)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _agent(name: str, output: str) -> str:
    """An agent whose answer holds its source."""
    return (
        f'agent {name}:\n    inputs = src.md\n    outputs = {output}\n    prompt = """\n'
        f'        FAKE: label={name}\n        {{{{ read(input) }}}}\n        """\n'
    )


def test_an_output_two_dropped_tasks_recorded_is_not_taken_for_a_hand_edit(e2e: E2E) -> None:
    """`one` made out.md, then renamed `two` (on a new source) made it again, then both left the Agentfile.
    clean --leftovers judged out.md against each record in turn: against `one`'s (the older content) it was
    "edited by hand or not made by agentmake" and a copy was saved to .agentmake/edited, though agentmake
    made it as it is; and `clean -n` listed it twice, once saying a copy would be saved."""
    e2e.write("src.md", "first\n")
    e2e.write("Agentfile", _agent("one", "out.md"))
    assert e2e.am().code == 0
    first = e2e.read("out.md")
    e2e.write("src.md", "second\n")
    e2e.write("Agentfile", _agent("two", "out.md"))
    assert e2e.am().code == 0
    assert e2e.read("out.md") != first  # (each record names out.md with another content)
    e2e.write("Agentfile", _agent("three", "other.md"))
    assert e2e.am().code == 0
    dry = e2e.am("clean", "--leftovers", "-n")
    assert dry.code == 0, dry
    assert dry.out.count("would remove out.md") == 1, dry
    assert "a copy would be saved" not in dry.out, dry
    run = e2e.am("clean", "--leftovers")
    assert run.code == 0, run
    assert not e2e.exists("out.md") and e2e.exists("other.md")
    assert "saved a copy" not in run.text, run
    assert not e2e.exists(".agentmake/edited"), e2e.files(".agentmake/edited/**/*")


def test_a_hand_edit_of_an_output_two_dropped_tasks_recorded_is_saved_once(e2e: E2E) -> None:
    e2e.write("src.md", "first\n")
    e2e.write("Agentfile", _agent("one", "out.md"))
    assert e2e.am().code == 0
    e2e.write("src.md", "second\n")
    e2e.write("Agentfile", _agent("two", "out.md"))
    assert e2e.am().code == 0
    e2e.write("Agentfile", _agent("three", "other.md"))
    e2e.write("out.md", "my own words\n")
    dry = e2e.am("clean", "--leftovers", "-n")
    assert dry.out.count("would remove out.md (not as agentmake made it: a copy would be saved)") == 1, dry
    assert dry.out.count("would remove out.md") == 1, dry
    run = e2e.am("clean", "--leftovers")
    assert run.code == 0 and not e2e.exists("out.md"), run
    saved = e2e.files(".agentmake/edited/**/out.md")
    assert len(saved) == 1 and e2e.read(saved[0]) == "my own words\n", saved
