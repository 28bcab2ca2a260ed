"""Numbers too small to print as they were: a report's Time table said `speed-up 1.44x` of an agent time
and a wall time both printed `0.0s` (now `—` under a second: `report.summary.speed_up`); a claude task's
$0.000024 widened the build table's cost column by one character (kept: ux27 made `usd` the one rule of
every place that shows money, so that a table's rows add up to its total; tests/test_ux27_one_cost_format.py);
`agentmake graph` of an Agentfile with no task printed a blank line (now nothing on stdout, and why on
stderr, as a build says it)."""

from __future__ import annotations

import re
from pathlib import Path

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


def test_a_tiny_claude_cost_keeps_the_cost_column_in_line(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = E2E(tmp_path / "p", fake_agents)
    e2e.write("Agentfile", 'agent a:\n    outputs = a.md\n    prompt = "FAKE: label=a\\nhi"\n', dedent=False)
    run = e2e.am()
    assert run.code == 0 and run.summary.cost is not None and 0 < run.summary.cost < 0.0001, (
        run
    )  # (fake claude)
    lines = run.err.splitlines()
    [header] = [line for line in lines if line.startswith("task ")]
    [row] = [line for line in lines if re.match(r"a\s+done\s", line)]
    assert header.endswith("attempts      cost") and row.endswith(f" {usd(run.summary.cost)}"), run
    assert len(row) == len(header), run


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
