"""Numbers too small to print as they were: a report's Time table said `speed-up 1.44x` of an agent time
and a wall time both printed `0.0s` (now `—` under a second: `report.summary.speed_up`); a claude task's
$0.000024 widened the build table's cost column (now `<$0.0001` in a terminal table's cell, at most four
decimals: `scheduler.summary.usd_cell`; totals, sentences and Markdown reports in full: `usd`);
`agentmake graph` of an Agentfile with no task printed a blank line (now nothing on stdout, and why on
stderr, as a build says it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.scheduler.summary import usd

COPY = """\
agent copy:
    inputs = src/{name}.txt
    outputs = out/{name}.txt
    run = "cp {input} {output}"

report r:
    inputs = out/*.txt
    output = R.md
"""


def test_a_report_of_a_build_too_quick_to_time_shows_no_speed_up(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / "p", fake_agents)
    e2e.write("Agentfile", COPY, dedent=False)
    for name in "abc":
        e2e.write(f"src/{name}.txt", f"{name}\n")
    assert e2e.am().code == 0
    time_table = (e2e.root / "R.md").read_text().split("# Time", 1)[1]
    wall = re.search(r"\| wall time \| ([\d.]+)s \|", time_table)
    assert wall is not None and float(wall.group(1)) < 1.0, time_table
    assert "| speed-up | — |" in time_table, time_table  # (was `| speed-up | 1.44x |`, or 3.00x, ...)


def test_a_speed_up_of_times_a_second_or_more_is_the_ratio() -> None:
    from agentmake.report.summary import speed_up

    assert speed_up(20.0, 16.0) == "1.25x"
    assert speed_up(1.0, 2.5) == "0.40x"
    assert speed_up(0.04, 0.03) == speed_up(12.0, 0.4) == speed_up(0.0, 0.0) == "—"


def test_a_tiny_claude_cost_keeps_the_cost_column_as_wide_as_ever(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / "p", fake_agents)
    e2e.write("Agentfile", 'agent a:\n    outputs = a.md\n    prompt = "FAKE: label=a\\nhi"\n', dedent=False)
    run = e2e.am()
    assert run.code == 0 and run.summary.cost is not None and 0 < run.summary.cost < 0.0001, (
        run
    )  # (fake claude)
    lines = run.err.splitlines()
    [header] = [line for line in lines if line.startswith("task ")]
    [row] = [line for line in lines if re.match(r"a\s+done\s", line)]
    assert header.endswith("attempts     cost") and row.endswith(" <$0.0001"), (
        run
    )  # (was `$0.000060`, 9 wide)
    assert len(row) == len(header), run
    assert f", {usd(run.summary.cost)}" in run.out  # (the total, in full)


@pytest.mark.parametrize(
    ("amount", "cell"),
    [(0.000024, "<$0.0001"), (0.0001, "$0.0001"), (0.0012, "$0.0012"), (0.5, "$0.50"), (0.0, "$0.00")],
)
def test_a_cost_in_a_table_cell_has_at_most_four_decimals(amount: float, cell: str) -> None:
    from agentmake.scheduler.summary import usd_cell

    assert usd_cell(amount) == cell and len(cell) <= 8
    assert usd(0.000024) == "$0.000024"  # (a total, a sentence, a Markdown report: in full)


def test_graph_of_an_agentfile_with_no_task_says_so_and_prints_no_blank_line(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / "p", fake_agents)
    e2e.write("Agentfile", "")
    run = e2e.am("graph")
    assert run.code == 0 and run.out == "", run  # (was "\n")
    assert "declares no agent and no report" in run.err, run
    e2e.write("Agentfile", COPY.split("report")[0], dedent=False)  # (no src/: the fan-out makes no task)
    run = e2e.am("graph")
    assert (
        run.code == 0 and run.out == "" and "copy makes no task: no file matches src/{name}.txt" in run.err
    ), run
    dot = e2e.am("graph", "--format", "dot")
    assert dot.out.startswith("digraph agentmake {") and dot.out.rstrip().endswith("}"), (
        dot
    )  # (a program reads it)
