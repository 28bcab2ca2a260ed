"""One rule for money wherever it is shown (ux27): a claude task's $0.000021 was `<$0.0001` in the build's
table and in `agentmake status`, but `$0.000021` on the summary line and in the report, so the table's rows
did not add up to the total printed under them. Now every place says it as `scheduler.summary.usd` does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.display.fmt import fmt_cost
from agentmake.scheduler.summary import usd

TWO = """\
agent a:
    outputs = a.md
    prompt = "FAKE: label=a\\nhi"

agent b:
    outputs = b.md
    prompt = "FAKE: label=b\\nhi"

report r:
    inputs = a.md b.md
    output = R.md
"""


def test_a_tiny_cost_reads_the_same_in_the_table_the_summary_line_status_and_the_report(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / "p", fake_agents)
    e2e.write("Agentfile", TWO, dedent=False)
    run = e2e.am()
    assert run.code == 0 and run.summary.cost is not None and 0 < run.summary.cost < 0.0001, run
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^([ab])\s+done\s.*\s(\S+)$", run.err, re.M)}
    assert set(rows) == {"a", "b"} and all("<" not in c for c in rows.values()), run  # (was `<$0.0001`)
    total = sum(float(c.lstrip("$")) for c in rows.values())
    assert f", {usd(total)}" in run.out, run  # the rows add up to the summary line's total
    status = e2e.am("status")
    for task, cell in rows.items():
        assert re.search(rf"^up to date\s+{task}\s.*\s{re.escape(cell)}(\s|$)", status.out, re.M), status
    report = e2e.read("R.md")
    for task, cell in rows.items():
        assert re.search(rf"\| {task} \|.*\| {re.escape(cell)} \|", report), report


@pytest.mark.parametrize("amount", [0.000021, 0.0001, 0.0012, 0.5, 0.0, 12345.67])
def test_a_table_cell_says_a_cost_as_a_sentence_does(amount: float) -> None:
    assert fmt_cost(amount) == usd(amount)
    assert fmt_cost(None) == ""
