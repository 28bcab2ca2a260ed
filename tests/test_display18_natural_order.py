"""Natural order wherever a person reads a list of tasks or files: `list`, `status`, `-n`, `explain` and
`graph` show notes/2.md's task before notes/10.md's (digits compared as numbers), each agent's tasks where the
agent is; the order is the same every time (`natorder.natural_key`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.natorder import directory, in_natural_order, natural_key

AGENTFILE = """
agent sum:
    inputs = notes/{name}.md
    outputs = build/{name}.md
    run = "cat {input} > {output}"

agent all:
    inputs = build/*.md
    outputs = all.md
    run = "cat {inputs} > {output}"
"""
NAMES = ["10", "2", "1", "20", "3"]
NATURAL = ["1", "2", "3", "10", "20"]


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    project = E2E(tmp_path / "proj", fake_agents)
    project.write("Agentfile", AGENTFILE)
    for name in NAMES:
        project.write(f"notes/{name}.md", f"{name}\n")
    return project


def found(pattern: str, text: str) -> list[str]:
    return re.findall(pattern, text, re.M)


def test_the_key_orders_numbers_as_numbers_and_every_name_one_way() -> None:
    names = ["notes/10.md", "notes/2.md", "a01", "a1", "b2c10", "b2c9", "notes/1.md", "x"]
    assert sorted(names, key=natural_key) == [
        "a01", "a1", "b2c9", "b2c10", "notes/1.md", "notes/2.md", "notes/10.md", "x",
    ]  # fmt: skip
    assert sorted(reversed(names), key=natural_key) == sorted(names, key=natural_key)
    assert in_natural_order(["sum:10", "sum:2", "all", "sum:1"]) == ["sum:1", "sum:2", "sum:10", "all"]
    paths = ["in/10.md", "in/2.md", "extra.md"]  # (an `inputs` line's patterns keep their order)
    assert in_natural_order(paths, group=directory) == ["in/2.md", "in/10.md", "extra.md"]


def test_list_status_dry_run_explain_and_graph_say_tasks_in_natural_order(e2e: E2E) -> None:
    want = [f"sum:{n}" for n in NATURAL]
    listed = e2e.am("list")
    assert found(r"^    (sum:\d+)", listed.out) == want, listed
    status = e2e.am("status")
    assert found(r"^stale\s+(sum:\d+)", status.out) == want, status
    assert "5 inputs will be rebuilt: build/1.md, build/2.md and 3 more" in status.out, status
    dry = e2e.am("-n")
    assert found(r"^would run (sum:\d+)", dry.out) == want, dry
    explain = e2e.am("explain", "all.md")
    assert found(r"\[(sum:\d+)\]", explain.out) == want, explain
    rebuilt = found(r"will be rebuilt by (sum:\d+)", explain.out)
    assert rebuilt == want, explain
    graph = e2e.am("graph")
    assert found(r"^(sum:\d+)$", graph.out) == want, graph
    assert f"all <- {', '.join(want)}" in graph.out, graph


def test_a_name_with_a_very_long_run_of_digits_is_ordered_not_a_traceback(e2e: E2E) -> None:
    """An agent named with more digits than Python turns into an int (4,300): `list`, `status` and `graph`
    stopped with a ValueError traceback; a number's order is still a number's."""
    long = "1" * 5000
    assert natural_key("a9") < natural_key("a10") < natural_key(f"a{long}")
    assert natural_key("a01") != natural_key("a1") and natural_key("a1") < natural_key("a02")
    e2e.write("Agentfile", AGENTFILE.replace("agent sum:", f"agent a{long}:"))
    for args in (("list",), ("status",), ("graph",)):
        run = e2e.am(*args)
        assert run.code == 0 and "Traceback" not in run.err, run
