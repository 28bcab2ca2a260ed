"""What a report says, checked against real builds through the CLI (the fake agents' own answers and log):
Mermaid charts that keep every task, costs that are not claimed known when a runner reported none, and table
cells that show a value as written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.report.mermaid import Bar, gantt
from agentmake.scheduler.summary import usd

# the statements of Mermaid's gantt lexer (case-insensitive) that a line may start with; any other line of
# the chart after the header is a task `name :tags, id, start, end`
GANTT_STATEMENT = re.compile(
    r"^(gantt\b|topaxis\b|inclusiveenddates\b|(dateformat|axisformat|tickinterval|includes|excludes|todaymarker"
    r"|title|accdescription|section|click|call)\s|acctitle\s*:|accdescr\s*[:{]|\d{4}-\d\d-\d\d\b)",
    re.IGNORECASE,
)
BAR = re.compile(r"^[^#:\n;]+:[^#\n;]+$")


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def gantt_body(report: str) -> list[str]:
    chart = report.split("```mermaid\ngantt\n")[1].split("```")[0]
    return [line.strip() for line in chart.splitlines()]


@pytest.mark.parametrize(
    "name", ["title", "section", "click", "call", "excludes", "Title x", "gantt-x", "2024-01-02-x"]
)
def test_a_gantt_bar_never_reads_as_a_statement(name: str) -> None:
    chart = gantt([Bar(name, "done", 1.0, 2.0), Bar("b", "done", 2.0, 3.0)]).splitlines()
    bars = [line.strip() for line in chart[4:] if not line.strip().startswith("section ")]
    assert len(bars) == 2
    assert all(BAR.match(b) and not GANTT_STATEMENT.match(b) for b in bars), bars


def test_an_agent_named_title_keeps_its_bar_in_the_timeline(e2e: E2E) -> None:
    e2e.write(
        "Agentfile",
        """\
        agent scan:
            prompt  = "FAKE: label=scan\\nscan"
            outputs = out/scan.md

        agent title:
            run     = "cp {inputs} {output}"
            inputs  = out/scan.md
            outputs = out/title.md

        report r:
            inputs = out/title.md
            output = R.md
        """,
    )
    run = e2e.am("report")
    assert run.code == 0, run
    body = gantt_body(e2e.read("R.md"))
    assert body[0] == "title Run 1"  # the chart's own title, and no other statement of that kind
    tasks = [line for line in body[3:] if not line.startswith("section ")]
    assert len(tasks) == 2 and not any(GANTT_STATEMENT.match(line) for line in tasks), body
    assert any(line.startswith("_title :") for line in tasks), body


def test_a_cost_no_runner_reported_is_unknown_not_left_out_of_the_total(e2e: E2E) -> None:
    e2e.write(
        "Agentfile",
        """\
        agent a:
            prompt  = "FAKE: label=a\\nwrite A"
            outputs = out/a.md

        agent c:
            runner  = codex
            prompt  = "FAKE: label=c\\nwrite C"
            outputs = out/c.md

        agent s:
            run     = "cat {inputs} > {output}"
            inputs  = out/a.md out/c.md
            outputs = out/s.md

        report r:
            inputs = out/s.md
            output = R.md
        """,
    )
    run = e2e.am("report")
    assert run.code == 0, run
    assert sorted(e2e.calls()) == ["a", "c"]
    # what claude said a cost, from its own answer in the log; codex says nothing of cost
    paid = json.loads(e2e.read(".agentmake/logs/a.1.out"))["total_cost_usd"]
    text = e2e.read("R.md")
    rows = {cells[0]: cells for cells in table_rows(text.split("## Run summary")[1].split("###")[0])}
    assert rows["a"][4] == usd(paid)
    assert rows["c"][4] == "unknown" and rows["c"][5].endswith(" out")  # it did report tokens
    assert rows["s"][4] == ""  # a shell command costs nothing to call
    stats = dict(row[:2] for row in table_rows(text.split("### Time")[1].split("###")[0]))
    assert stats["cost"] == f"{usd(paid)} + unknown (c: no cost reported)"


def table_rows(markdown: str) -> list[list[str]]:
    """The body rows of the first Markdown table in `markdown`, as lists of cell texts."""
    lines = [line for line in markdown.splitlines() if line.startswith("|")]
    return [[c.strip() for c in line.strip("|").split(" | ")] for line in lines[2:]]


def test_findings_with_html_and_entities_show_as_written(e2e: E2E) -> None:
    finding = {"file": "ui.html", "message": "use <strong> not <b> & write &lt; for <", "fix": "`<em>`"}
    e2e.write("prompts/lint.md", "FAKE: label=lint answer=" + json.dumps([finding]) + "\nlint\n")
    e2e.write(
        "Agentfile",
        """\
        agent lint:
            prompt  = prompts/lint.md
            outputs = out/lint.json

        report r:
            inputs  = out/lint.json
            output  = R.md
            summary = false
        """,
    )
    run = e2e.am("report")
    assert run.code == 0, run
    assert json.loads(e2e.read("out/lint.json")) == [finding]  # what the agent answered, byte for byte
    row = table_rows(e2e.read("R.md"))[0]
    # no tag a Markdown viewer would render (and so hide); entities that render as the text itself
    assert row[1] == "use &lt;strong> not &lt;b> &amp; write &amp;lt; for &lt;"
    assert row[2] == "`<em>`"  # inside a code span Markdown shows it as written already
