"""The `not run` lines of a build come in natural order (`natorder`), as its summary names them: a new user
saw `not run review:mod11 ... review:mod3` (string order) and, under `--budget 0`, `mod20, summary, mod4,
mod16, mod8` (the order the budget refused them in). Real builds with the fake agents."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.natorder import in_natural_order

AGENTFILE = '''\
agent review:
    inputs = src/{name}.py
    outputs = out/{name}.md
    prompt = """
        FAKE: label={{ name }}
        Review: {{ read(input) }}
        """

agent summary:
    inputs = out/*.md
    outputs = SUMMARY.md
    run = "cat {inputs} > {output}"
'''
NOT_RUN = re.compile(r"^\[\s*[0-9.]+s\] not run\s+(\S+)", re.M)


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE)
    for n in range(1, 21):
        e2e.write(f"src/mod{n}.py", f"x = {n}\n")
    return e2e


def test_a_budget_of_zero_says_not_run_in_natural_order(e2e: E2E) -> None:
    run = e2e.am("--budget", "0")
    said = NOT_RUN.findall(run.err + run.out)
    assert len(said) == 21, run
    assert said == in_natural_order(said), said


SHELL = """\
agent first:
    outputs = first.txt
    run = "exit 1"

agent review:
    inputs = src/{name}.py first.txt
    outputs = out/{name}.md
    run = "cat {inputs} > {output}"

agent summary:
    inputs = out/*.md
    outputs = SUMMARY.md
    run = "cat {inputs} > {output}"
"""


@pytest.mark.parametrize("keep_going", [(), ("-k",)])
def test_what_a_failure_leaves_is_told_in_natural_order(e2e: E2E, keep_going: tuple[str, ...]) -> None:
    e2e.write("Agentfile", SHELL)
    run = e2e.am(*keep_going)
    assert run.code == 1, run
    said = NOT_RUN.findall(run.err + run.out)
    assert len(said) == 21, run
    assert said == in_natural_order(said), said
