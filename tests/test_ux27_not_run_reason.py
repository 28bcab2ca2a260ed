"""A task not run because a task it needs failed says which, as make does (`not run: scan failed`): it said
`dependency scan failed`, which reads as if `scan` were its own dependency even where it was not (a task two
steps down: `grand` after `child` after `bad`), in the line, the report's gaps and status;
-n and explain say `bad would fail` (tests/test_dryrunhunt_blocked.py) (ux27)."""

from __future__ import annotations

from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

CHAIN = """
retries = 0

agent bad:
    outputs = build/bad.md
    run = "exit 1"

agent child:
    inputs = build/bad.md
    outputs = build/child.md
    run = "cat {input} > {output}"

agent grand:
    inputs = build/child.md
    outputs = build/grand.md
    run = "cat {input} > {output}"

agent fine:
    outputs = build/fine.md
    run = "echo fine > {output}"

report r:
    inputs = build/child.md build/fine.md
    output = R.md
"""


def test_a_task_not_run_names_the_failed_task_not_a_dependency_it_lacks(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / "p", fake_agents)
    e2e.write("Agentfile", CHAIN)
    run = e2e.am("-k", "grand", "r")
    assert run.code == 1, run
    assert "not run     child  (bad failed)" in run.err, run  # (was `(dependency bad failed)`)
    assert "not run     grand  (bad failed)" in run.err, run  # (bad is not grand's dependency)
    assert "`child not run: bad failed`" in e2e.read("R.md"), e2e.read("R.md")
    status = e2e.am("status")
    assert "- not run by the last build: bad failed" in status.out, status
