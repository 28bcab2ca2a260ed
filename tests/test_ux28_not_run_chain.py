"""A task two steps after one the build did not run names the root cause once, as make does: `budget of $0.00
reached before a`, `tr:a not run: runner claude failed ...`; it said `dependency a not run: budget ...`, in
the build's lines, -n, status and explain alike (ux28)."""

from __future__ import annotations

from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

CHAIN = """
agent a:
    runner = claude
    outputs = a.txt
    prompt = "FAKE: label=a"

agent b:
    inputs = a.txt
    outputs = b.txt
    run = "cp {input} {output}"

agent c:
    inputs = b.txt
    outputs = c.txt
    run = "cp {input} {output}"
"""


def test_the_budget_reached_before_a_task_is_said_once_down_the_chain(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e = E2E(tmp_path / "p", fake_agents)
    e.write("Agentfile", CHAIN)
    dry = e.am("-n", "--budget", "0")
    assert "would not run c: budget of $0.00 reached before a" in dry.out.splitlines(), dry
    run = e.am("--budget", "0")
    assert run.code == 1 and e.calls() == [], run
    assert "not run     a  (budget of $0.00 reached)" in run.err, run
    for name in ("b", "c"):
        assert f"not run     {name}  (budget of $0.00 reached before a)" in run.err, run
    assert "dependency" not in run.err, run
    status = e.am("status")
    assert "- not run by the last build: budget of $0.00 reached before a" in status.out, status
    explain = e.am("explain", "c.txt")
    assert "not run by the last build: budget of $0.00 reached before a;" in explain.out, explain
