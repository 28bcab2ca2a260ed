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


def critical_line(report: str) -> str:
    return next(line for line in report.splitlines() if line.startswith("Critical path ("))


def path_of(line: str) -> list[tuple[str, str]]:
    """(link, task) of each step of a `Critical path (…): …` line: link "" for the first, "→" a dependency,
    "⇢" a slot."""
    return re.findall(r"(?:^|([→⇢]) )`([^`]+)` \(", line.split("): ", 1)[1])


FAN_OUT = """\
agent scan:
    inputs  = src.txt
    outputs = out/scan.md
    run     = "sleep 0.2; cat {input} > {output}"

agent a:
    inputs  = out/scan.md
    outputs = out/a.md
    run     = "sleep 0.2; cat {input} > {output}"

agent b:
    inputs  = out/scan.md
    outputs = out/b.md
    run     = "sleep 0.2; cat {input} > {output}"

agent c:
    inputs  = out/scan.md
    outputs = out/c.md
    run     = "sleep 0.2; cat {input} > {output}"

report r:
    inputs = out/a.md out/b.md out/c.md
    output = R.md
"""


def test_at_j_1_the_critical_path_is_the_chain_that_ran_one_after_another(e2e: E2E) -> None:
    # a, b and c each need only scan, but -j 1 runs them one after another: the wall time is all four, and
    # the critical path is the chain of tasks each of which started when the one before it ended (it named
    # scan and one of the three, which add up to half the wall time)
    e2e.write("src.txt", "source\n")
    e2e.write("Agentfile", FAN_OUT)
    run = e2e.am("-j", "1", "report")
    assert run.code == 0, run
    text = e2e.read("R.md")
    steps = path_of(critical_line(text))
    assert steps[0] == ("", "scan"), text
    assert sorted(task for _, task in steps[1:]) == ["a", "b", "c"], text
    assert [link for link, _ in steps] == ["", "→", "⇢", "⇢"], text  # one waited for scan, two for a slot
    note = text.split(critical_line(text))[1].split("###")[0]
    assert "`⇢` for a free slot" in note and "longest chain of dependencies" in note, note
    assert re.search(r"takes [\d.]+s: `scan` → `[abc]`\.\)", note), note
    bars = [line for line in gantt_body(text) if line.startswith(("scan ", "a ", "b ", "c "))]
    assert len(bars) == 4 and all(bar_tags(bar) == [] for bar in bars), bars  # all four on the path

    again = e2e.am("-B", "-j", "4", "report")  # enough slots: the path is scan and one of the three
    assert again.code == 0, again
    text = e2e.read("R.md")
    steps = path_of(critical_line(text))
    assert len(steps) == 2 and steps[0] == ("", "scan") and steps[1][0] == "→", text
    assert "free slot" not in text, text


def test_the_critical_path_goes_through_a_task_found_up_to_date(e2e: E2E) -> None:
    # a reruns and makes the same output, so b is up to date (early cutoff) and runs nothing; c, which reads
    # b's output and d's (changed), waited for a all the same: a → c, not c alone
    e2e.write("a.txt", "x\n")
    e2e.write("d.txt", "d\n")
    e2e.write(
        "Agentfile",
        """\
        agent a:
            inputs  = a.txt
            outputs = out/a.md
            run     = "sleep 0.3; head -c1 {input} > {output}"

        agent b:
            inputs  = out/a.md
            outputs = out/b.md
            run     = "cat {input} > {output}"

        agent d:
            inputs  = d.txt
            outputs = out/d.md
            run     = "cat {input} > {output}"

        agent c:
            inputs  = out/b.md out/d.md
            outputs = out/c.md
            run     = "sleep 0.2; cat {inputs} > {output}"

        report r:
            inputs = out/c.md
            output = R.md
        """,
    )
    assert e2e.am("report").code == 0
    e2e.write("a.txt", "xy\n")  # the same first byte: a's output does not change
    e2e.write("d.txt", "e\n")
    run = e2e.am("-v", "report")  # (-v: a line for each task up to date)
    assert run.code == 0 and run.states["b"] == "up-to-date", run
    assert path_of(critical_line(e2e.read("R.md"))) == [("", "a"), ("→", "c")], e2e.read("R.md")


def test_a_runner_parallel_cap_puts_its_waits_on_the_critical_path(e2e: E2E) -> None:
    # three calls with no dependencies, but `parallel = 1`: they ran one after another at -j 4
    e2e.write(
        "Agentfile",
        """\
        runner claude:
            parallel = 1

        agent x:
            prompt  = "FAKE: label=x sleep=0.3\\nask x"
            outputs = out/x.md

        agent y:
            prompt  = "FAKE: label=y sleep=0.3\\nask y"
            outputs = out/y.md

        agent z:
            prompt  = "FAKE: label=z sleep=0.3\\nask z"
            outputs = out/z.md

        agent quick:
            outputs = out/quick.md
            run     = "echo quick > {output}"

        report r:
            inputs = out/x.md out/y.md out/z.md out/quick.md
            output = R.md
        """,
    )
    run = e2e.am("-j", "4", "report")
    assert run.code == 0, run
    text = e2e.read("R.md")
    steps = path_of(critical_line(text))
    assert sorted(task for _, task in steps) == ["x", "y", "z"], text
    assert [link for link, _ in steps] == ["", "⇢", "⇢"], text
    assert "`parallel`" in text.split(critical_line(text))[1].split("###")[0]


def bar_tags(line: str) -> list[str]:
    """The tags of a gantt bar line `name :tag, tag, tN, start, end`."""
    return [tag.strip() for tag in line.split(" :", 1)[1].split(",")[:-3]]


def test_failed_and_critical_bars_look_different_and_the_legend_says_which_is_which(e2e: E2E) -> None:
    e2e.write("src.txt", "source\n")
    e2e.write(
        "Agentfile",
        """\
        retries = 0

        agent slow:
            inputs  = src.txt
            outputs = out/slow.md
            run     = "sleep 0.4; cat {input} > {output}"

        agent quick:
            inputs  = src.txt
            outputs = out/quick.md
            run     = "cat {input} > {output}"

        agent broken:
            inputs  = src.txt
            outputs = out/broken.md
            run     = "echo no >&2; exit 3"

        report r:
            inputs = out/slow.md out/quick.md out/broken.md
            output = R.md
        """,
    )
    run = e2e.am("-k", "-j", "4", "report")
    assert run.code == 1, run
    text = e2e.read("R.md")
    assert [task for _, task in path_of(critical_line(text))] == ["slow"], text
    bars = {line.split(" :")[0]: bar_tags(line) for line in gantt_body(text) if " :" in line}
    assert bars["slow"] == [], bars  # on the critical path: the theme's own task colour
    assert bars["quick"] == ["done"], bars  # done, off it: grey
    assert bars["broken"] == ["crit"], bars  # failed: red
    legend = text.split("```mermaid\ngantt\n")[1].split("```", 1)[1].split("###")[0].strip()
    assert legend == (
        "Each bar is one attempt of a task, start to end: blue = on the critical path (done or restored);"
        " grey = done or restored; red = failed."
    ), legend  # (ux27: was "Bars: coloured (blue), on the critical path; grey, done or restored off it; ...")
