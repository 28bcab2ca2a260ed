"""What `-n` and `explain` say of an output renamed in the Agentfile: the outputs changed, not the prompt's
variables nor the command (real CLI, fake agents)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

LLM = '''\
lang = "en"
agent w:
    inputs = in.txt
    outputs = {out}
    prompt = """
        FAKE: label=w
        write {{{{ output }}}} in {{{{ lang }}}} from {{{{ read(input) }}}}
        """
'''

SHELL = """\
agent w:
    inputs = in.txt
    outputs = {out}
    run = "cp {{input}} {{output}}"
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("in.txt", "hello\n")
    return e2e


@pytest.mark.parametrize("agentfile", [LLM, SHELL], ids=["prompt", "command"])
def test_an_output_renamed_is_told_so_not_as_a_prompt_or_command_change(e2e: E2E, agentfile: str) -> None:
    """A prompt naming `{{ output }}`, or a command naming `{output}`, renders otherwise when the output is
    renamed; the reason said so as 'inline prompt changed (a variable or wildcard it uses changed)' (no
    variable changed, and the task has no wildcard) or 'command changed' (the command is as written)."""
    e2e.write("Agentfile", agentfile.format(out="a.md"))
    assert e2e.am().summary.ran == 1
    e2e.write("Agentfile", agentfile.format(out="b.md"))
    for args in (("-n",), ("explain", "w"), ("status",)):
        said = e2e.am(*args).out
        assert "outputs changed a.md → b.md" in said, said
        assert "prompt changed" not in said and "command changed" not in said, said
    # a change of the prompt's own variable is still told
    if agentfile is LLM:
        said = e2e.am("-n", "lang=fr").out
        assert "inline prompt changed (variable lang: 'en' → 'fr')" in said, said
