"""A `merge` report (or an agent with a `prompt`) on the `shell` runner: that runner runs a command given as
its argument (`sh -c COMMAND`), never a prompt on stdin, so the Agentfile is refused when it loads, at the
runner named, where `agentmake check` passed it and every build failed three attempts with
`sh: 0: -c requires an argument`."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

MERGE = """
report m:
    runner = shell
    merge = "Merge {{ files }}"
    inputs = a.txt
    output = M.md
"""

PROMPT = """
agent x:
    runner = shell
    prompt = "Summarise {{ input }}"
    inputs = a.txt
    outputs = o.txt
"""

DEFAULT = """
runner = shell

report m:
    merge = "Merge {{ files }}"
    inputs = a.txt
    output = M.md
"""

BASED = """
runner sh2:
    base = shell

agent x:
    runner = sh2
    prompt = "Summarise {{ input }}"
    inputs = a.txt
    outputs = o.txt
"""


@pytest.mark.parametrize(
    ("text", "line"),
    [(MERGE, 3), (PROMPT, 3), (DEFAULT, 2), (BASED, 6)],
    ids=["merge", "prompt", "default", "based"],
)
def test_a_prompt_on_the_shell_runner_is_refused_when_loaded(
    tmp_path: Path, fake_agents: FakeAgents, text: str, line: int
) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("a.txt", "alpha\n")
    e2e.write("Agentfile", text)
    for args in (("check",), ("report",) if "report" in text else ("x",)):
        run = e2e.am(*args)
        assert run.code == 2, run
        assert f"Agentfile:{line}:" in run.err and "shell runner" in run.err, run
    assert not e2e.exists("M.md") and not e2e.exists("o.txt")


def test_a_run_agent_and_a_merge_on_another_runner_still_load(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("a.txt", "alpha\n")
    e2e.write(
        "Agentfile",
        """
        runner = shell

        agent x:
            run = "cp {input} {output}"
            inputs = a.txt
            outputs = o.txt

        report m:
            runner = claude
            merge = "FAKE: answer=merged\\nMerge {{ files }}"
            inputs = o.txt
            output = M.md
        """,
    )
    run = e2e.am("report")
    assert run.code == 0, run
    assert e2e.read("M.md").strip() == "merged"
