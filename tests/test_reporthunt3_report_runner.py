"""`runner` or `model` on a report without `merge` runs nothing: a built-in or template report calls no agent.
Both were accepted and silently ignored (a user setting `model = opus` on a template report believed an agent
laid it out); they are refused when the Agentfile loads, at the key, as `runner` on an agent with `run` is."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

BASE = """
agent x:
    run = "cp {input} {output}"
    inputs = a.txt
    outputs = o.txt

report r:
    inputs = o.txt
    output = R.md
"""


@pytest.mark.parametrize(
    ("extra", "key", "col"),
    [("    runner = claude\n", "runner", 14), ("    model = opus\n", "model", 13)],
    ids=["runner", "model"],
)
@pytest.mark.parametrize("template", [False, True], ids=["builtin", "template"])
def test_runner_or_model_on_a_report_without_merge_is_refused_where_written(
    tmp_path: Path, fake_agents: FakeAgents, extra: str, key: str, col: int, template: bool
) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("a.txt", "alpha\n")
    e2e.write("t.md", "{{ title }}\n")
    text = BASE + ("    template = t.md\n" if template else "") + extra
    e2e.write("Agentfile", text)
    line = text.splitlines().index(extra.rstrip("\n")) + 1
    for args in (("check",), ("report",)):
        run = e2e.am(*args)
        assert run.code == 2, run
        assert f"Agentfile:{line}:{col}: error:" in run.err, run
        assert f"`{key}`" in run.err and "merge" in run.err, run
    assert not e2e.exists("R.md") and not e2e.exists("o.txt")


def test_runner_and_model_on_a_merge_report_still_load(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("a.txt", "alpha\n")
    e2e.write(
        "Agentfile",
        BASE + '    merge = "FAKE: answer=merged\\nMerge {{ files }}"\n'
        "    runner = claude\n"
        "    model = opus\n",
    )
    run = e2e.am("report")
    assert run.code == 0, run
    assert e2e.read("R.md").strip() == "merged"
