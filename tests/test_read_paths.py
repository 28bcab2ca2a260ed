"""`read('./docs/a.md')` in a prompt reads the input `docs/a.md`: a path is taken as the task's inputs name
it (`./`, `//` dropped), as every command takes a target. It was refused as "not an input of task t" when the
Agentfile loaded, and when rendered."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

TAIL = "    inputs = docs/a.md\n    outputs = out/a.md\n"


@pytest.mark.parametrize("path", ["./docs/a.md", "docs//a.md", "docs/./a.md"])
def test_read_takes_an_inputs_path_as_written_with_dots_or_double_slashes(
    tmp_path: Path, fake_agents: FakeAgents, path: str
) -> None:
    e = E2E(tmp_path / "proj", fake_agents)
    e.write("docs/a.md", "hello there\n")
    e.write(
        "Agentfile",
        f"agent t:\n    prompt = \"Say: {{{{ read('{path}') }}}}\"\n{TAIL}",
    )
    result = e.am()
    assert result.code == 0, result
    assert "Say: hello there" in (e.root / ".agentmake" / "tasks" / "t.prompt").read_text()


def test_read_of_a_path_leaving_the_inputs_is_still_refused(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e = E2E(tmp_path / "proj", fake_agents)
    e.write("docs/a.md", "hello\n")
    e.write("secret.md", "no\n")
    e.write(
        "Agentfile",
        "agent t:\n    prompt = \"{{ read('docs/../secret.md') }}\"\n" + TAIL,
    )
    result = e.am()
    assert result.code == 2 and "not an input of task t" in result.err, result
