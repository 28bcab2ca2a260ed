"""Reports: built-in aggregation of real input files, templates and their error locations, the run summary
from store records, and Mermaid charts that parse."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from agentmake.errors import AgentfileError
from agentmake.graph import Graph, Task
from agentmake.model import Agentfile, AgentSpec, ReportSpec, Settings
from agentmake.report import render_report, render_summary
from agentmake.report.markdown import demote_headings
from agentmake.store import AttemptRecord, Store


def make_graph(root: Path, report: ReportSpec, agents: dict[str, tuple[str, ...]]) -> Graph:
    """A graph of agents (name -> outputs) feeding one report that reads every agent output."""
    specs = {name: AgentSpec(name=name, inputs=(), outputs=outs, run="true") for name, outs in agents.items()}
    af = Agentfile(root / "Agentfile", root, Settings(), {"team": "core"}, {}, specs, {report.name: report})
    tasks = {n: Task(n, n, "agent", (), outs, specs[n]) for n, outs in agents.items()}
    tasks[report.name] = Task(report.name, report.name, "report", report.inputs, (report.output,), report)
    deps = {report.name: tuple(agents)}
    producer = {o: n for n, outs in agents.items() for o in outs}
    return Graph(af, tasks, deps, {n: (report.name,) for n in agents}, producer)


def write(root: Path, path: str, text: str) -> str:
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(text, encoding="utf-8")
    return path


FINDINGS = [
    {"file": "src/a.py", "line": 3, "severity": "high", "message": "SQL built from input | unsafe"},
    {"file": "src/b.py", "line": 9, "message": "unused import", "fix": "remove it"},
]


def test_builtin_report_sections_tables_and_blocks(tmp_path: Path) -> None:
    write(tmp_path, "out/security.json", json.dumps(FINDINGS))
    write(tmp_path, "out/perf.json", json.dumps({"file": "src/c.py", "score": 7, "issues": FINDINGS[:1]}))
    write(tmp_path, "out/meta.json", json.dumps({"config": {"depth": 2, "tags": ["a", "b"]}}))
    write(tmp_path, "out/notes.md", "# Notes\n\nSome text.\n\n## Detail\n\n```sh\n# not a heading\n```\n")
    write(tmp_path, "out/raw.txt", "plain ``` text")
    inputs = ("out/security.json", "out/perf.json", "out/meta.json", "out/notes.md", "out/raw.txt")
    spec = ReportSpec(name="review", inputs=inputs, output="REVIEW.md", title="Code review", summary=False)
    graph = make_graph(tmp_path, spec, {"scan": inputs})
    text = render_report(graph.tasks["review"], graph=graph)

    assert text.startswith("# Code review\n")
    heads = [line for line in text.splitlines() if line.startswith("## ")]
    assert heads == [f"## {p}" for p in inputs]
    # findings list -> table with the union of keys, first-appearance order, pipes escaped
    assert "| file | line | severity | message | fix |" in text
    assert "| src/a.py | 3 | high | SQL built from input \\| unsafe |  |" in text
    assert "| src/b.py | 9 |  | unused import | remove it |" in text
    # dict holding findings -> the other keys as a small table, then the findings table
    perf = text.split("## out/perf.json")[1].split("## out/meta.json")[0]
    assert "| key | value |" in perf and "| score | 7 |" in perf
    assert "**issues** (1)" in perf and "| file | line | severity | message |" in perf
    # other JSON -> json code block
    meta = text.split("## out/meta.json")[1].split("## out/notes.md")[0]
    assert '```json\n{\n  "config": {' in meta
    # markdown inlined with headings demoted; code fences untouched
    notes = text.split("## out/notes.md")[1]
    assert "### Notes" in notes and "#### Detail" in notes and "\n# not a heading\n" in notes
    # other text fenced with a fence longer than its content's backtick runs
    assert "````\nplain ``` text\n````" in text
    # deterministic
    assert render_report(graph.tasks["review"], graph=graph) == text


def test_identical_inputs_are_not_repeated_and_missing_ones_are_marked(tmp_path: Path) -> None:
    write(tmp_path, "out/a.md", "same words\n")
    write(tmp_path, "out/b.md", "same words\n")
    spec = ReportSpec(name="r", inputs=("out/a.md", "out/b.md", "out/gone.md"), output="R.md", summary=False)
    graph = make_graph(tmp_path, spec, {"w": ("out/a.md", "out/b.md", "out/gone.md")})
    text = render_report(graph.tasks["r"], graph=graph)
    assert text.count("same words") == 1
    assert "## out/b.md\n\n_(same as `out/a.md`)_" in text
    assert "## out/gone.md\n\n_(missing)_" in text
    assert text.startswith("# r\n")  # no title: the report's name


def test_a_binary_input_is_named_not_shown(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out/blob.bin").write_bytes(bytes(range(256)) * 12)  # a NUL in the first 8 KiB
    (tmp_path / "out/latin1.md").write_bytes("caf\xe9 cr\xe8me\n".encode("latin-1"))  # text, not UTF-8
    spec = ReportSpec(name="r", inputs=("out/blob.bin", "out/latin1.md"), output="R.md", summary=False)
    graph = make_graph(tmp_path, spec, {"w": spec.inputs})
    text = render_report(graph.tasks["r"], graph=graph)
    assert "## out/blob.bin\n\n_(binary file, 3,072 bytes: not shown)_" in text
    assert "caf\ufffd cr\ufffdme" in text  # undecodable text is still shown, its bad bytes replaced
    assert text.count("\ufffd") == 2


def test_demote_headings_setext_and_cap() -> None:
    text = "Title\n=====\n\nSub\n---\n\n###### deep\n\n- item\n---\n"
    out = demote_headings(text)
    assert "### Title" in out and "#### Sub" in out and "###### deep" in out
    assert "=====" not in out
    assert "- item\n---" in out  # a rule after a list item is not a heading


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Steps:\n\n1. ran the linter\n---\n", "1. ran the linter\n---"),  # an ordered list item
        ("+ item\n---\n", "+ item\n---"),
        ("sev | msg\n--|--\nhigh | x\n---\n", "high | x\n---"),  # a table row without pipes at the edges
        ("para\n\n    code\n---\n", "    code\n---"),  # indented code
        ("<div>\nx\n</div>\n---\n", "</div>\n---"),  # HTML
    ],
)
def test_demote_headings_makes_no_heading_of_what_is_not_a_paragraph(text: str, kept: str) -> None:
    # CommonMark: under a list item, a table row, code or HTML, `---` is a rule, not a heading underline
    out = demote_headings(text)
    assert kept in out and "####" not in out, out


def test_demote_headings_takes_every_line_of_the_paragraph() -> None:
    # "The summary\nspans two lines\n---" is one heading in CommonMark, not a paragraph and a heading
    assert demote_headings("The summary\nspans two lines\n---\n") == "#### The summary spans two lines"


def test_template_report_sees_inputs_summary_and_variables(tmp_path: Path) -> None:
    write(tmp_path, "out/f.json", json.dumps(FINDINGS))
    write(tmp_path, "out/n.md", "hello")
    write(
        tmp_path,
        "report.md.j2",
        "# {{ title }} ({{ variables.team }})\n"
        "{% for i in inputs %}\n"
        "- {{ i.path }}: {{ i.data | length if i.data is not none else i.content }}\n"
        "{% endfor %}\n"
        "{{ summary }}",
    )
    spec = ReportSpec(name="t", inputs=("out/f.json", "out/n.md"), output="T.md", template="report.md.j2",
                      summary=False)  # fmt: skip
    graph = make_graph(tmp_path, spec, {"w": spec.inputs})
    text = render_report(graph.tasks["t"], graph=graph)
    assert text == "# t (core)\n- out/f.json: 2\n- out/n.md: hello\n"


def test_template_errors_name_the_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "bad.j2", "line one\n{{ title }}\n{{ no_such_name }}\n")
    spec = ReportSpec(name="t", inputs=(), output="T.md", template="bad.j2", summary=False)
    graph = make_graph(tmp_path, spec, {})
    with pytest.raises(AgentfileError) as err:
        render_report(graph.tasks["t"], graph=graph)
    assert err.value.loc is not None and err.value.loc.line == 3 and err.value.loc.file.endswith("bad.j2")
    assert "no_such_name" in str(err.value) and "bad.j2" in err.value.render()
    assert err.value.loc.file == "bad.j2"  # (project-relative, as the Agentfile names it)
    assert err.value.render().splitlines()[1:] == ["    {{ no_such_name }}", "    ^"]

    write(tmp_path, "bad.j2", "ok\n\n{% for x in %}\n")
    with pytest.raises(AgentfileError) as err:
        render_report(graph.tasks["t"], graph=graph)
    assert err.value.loc is not None and err.value.loc.line == 3

    write(tmp_path, "bad.j2", "ok\n{% for x in range(10**9) %}{% endfor %}\n")  # (OverflowError: not located)
    with pytest.raises(AgentfileError) as err:
        render_report(graph.tasks["t"], graph=graph)
    assert err.value.loc is not None and err.value.loc.line == 2 and "OverflowError" in str(err.value)

    spec2 = ReportSpec(name="t", inputs=(), output="T.md", template="absent.j2", summary=False)
    graph2 = make_graph(tmp_path, spec2, {})
    with pytest.raises(AgentfileError, match=r"absent\.j2"):
        render_report(graph2.tasks["t"], graph=graph2)


def test_template_sandbox_blocks_attribute_escape(tmp_path: Path) -> None:
    write(tmp_path, "evil.j2", "{{ title.__class__.__mro__[1].__subclasses__() }}")
    spec = ReportSpec(name="t", inputs=(), output="T.md", template="evil.j2", summary=False)
    graph = make_graph(tmp_path, spec, {})
    with pytest.raises(AgentfileError):
        render_report(graph.tasks["t"], graph=graph)


GANTT_LINE = re.compile(
    r"^    [A-Za-z0-9 _.,/+=@()\[\]-]+ :(crit, |done, |active, )?t\d+, \d{13}, \d{13}$"
)  # whole ms


def _summary_store(tmp_path: Path) -> tuple[Store, int, int, float]:
    store = Store.open(tmp_path)
    old = store.begin_run()
    t0 = time.time() - 100
    store.record_attempt(AttemptRecord(old, "lint", "done", t0 - 50, t0 - 45, cost_usd=0.5))
    store.end_run(old, {"done": 1})  # (a run left unended is a killed build's, whose spend run 2 says)
    run = store.begin_run()
    store.record_attempt(AttemptRecord(run, "scan:a", "done", t0, t0 + 10, 1, 0.25, 1000, 200))
    store.record_attempt(
        AttemptRecord(run, "scan:b", "failed", t0, t0 + 4, 3, None, None, None, "timeout", "x")
    )
    store.record_attempt(AttemptRecord(run, "fix", "done", t0 + 10, t0 + 16, 2, 0.10))
    store.log_event(run, "scan:b", "rate-limit", "429 | slow down", "retrying in 2.0s")
    store.log_event(run, "scan:b", "timeout", "no answer in 4s", "gave up")
    return store, old, run, t0


def test_run_summary_numbers_from_store_records(tmp_path: Path) -> None:
    store, _old, run, _t0 = _summary_store(tmp_path)
    try:
        agents = {
            "lint": ("o/lint.md",),
            "scan:a": ("o/a.json",),
            "scan:b": ("o/b.json",),
            "fix": ("o/fix.md",),
        }
        spec = ReportSpec(name="review", inputs=("o/a.json",), output="R.md")
        graph = make_graph(tmp_path, spec, agents)
        graph.deps["fix"] = ("scan:a",)
        text = render_summary(graph, store, run, [t for t in graph.tasks if t != "review"])
        assert text == render_summary(graph, store, run, [t for t in graph.tasks if t != "review"])
        assert text.startswith("## Run summary\n")
        assert "| lint | up to date (run 1) | 5.0s | 1 | $0.50 |" in text
        assert "| scan:a | done | 10.0s | 1 | $0.25 | 1,000 in / 200 out |" in text
        assert "| scan:b | failed | 4.0s | 3 |" in text
        # agent time 10 + 4 + 6 = 20s over a 16s wall: speed-up 1.25x; cost of this run only
        assert "| agent time | 20.0s |" in text and "| wall time | 16.0s |" in text
        assert "| speed-up | 1.25x |" in text and "| cost | $0.35 |" in text
        assert "Critical path (16.0s): `scan:a` (10.0s) → `fix` (6.0s)" in text
        log = text.split("### Error log")[1].split("###")[0]
        assert "| scan | scan:b | rate-limit | 429 \\| slow down | retrying in 2.0s |" in log
        assert "| timeout | no answer in 4s | gave up |" in log

        gantt = text.split("```mermaid\ngantt\n")[1].split("```")[0].splitlines()
        # Unix milliseconds, whole: Mermaid 10+ parses strictly ("X" with decimals was an "Invalid date")
        assert gantt[:3] == ["    title Run 2", "    dateFormat x", "    axisFormat %H:%M:%S"]
        heads = ("    title", "    dateFormat", "    axisFormat", "    section")
        bars = [line for line in gantt if not line.startswith(heads)]
        assert len(bars) == 3 and all(GANTT_LINE.match(b) for b in bars), bars
        assert any(b.startswith("    scan_a :t") for b in bars)  # on the critical path: the task colour
        assert any(b.startswith("    scan_b :crit, t") for b in bars)  # failed: red

        flow = text.split("```mermaid\ngraph TD\n")[1].split("```")[0].splitlines()
        node = re.compile(r'^    n\d+\["[A-Za-z0-9 _.,/:+=@#;-]+"\]$')
        edge = re.compile(r"^    n\d+ --> n\d+$")
        cls = re.compile(r"^    (classDef [a-z_]+ [a-z:#0-9,]+|class n\d+(,n\d+)* [a-z_]+)$")
        assert all(node.match(x) or edge.match(x) or cls.match(x) for x in flow), flow
        assert sum(1 for x in flow if edge.match(x)) == 1  # scan:a --> fix (the report is not in the summary)
    finally:
        store.close()


def test_report_includes_summary_of_its_upstream_tasks(tmp_path: Path) -> None:
    store, _old, run, _t0 = _summary_store(tmp_path)
    try:
        write(tmp_path, "o/a.json", "[]")
        spec = ReportSpec(name="review", inputs=("o/a.json",), output="R.md")
        graph = make_graph(tmp_path, spec, {"scan:a": ("o/a.json",), "fix": ("o/fix.md",)})
        text = render_report(graph.tasks["review"], graph=graph, store=store, run_id=run)
        assert "## o/a.json\n\n_(no entries)_" in text
        assert "## Run summary" in text and "| scan:a | done |" in text and "| fix | done |" in text
        assert "scan:b" not in text.split("## Run summary")[1].split("### Error log")[0]
        no_summary = ReportSpec(name="review", inputs=("o/a.json",), output="R.md", summary=False)
        graph2 = make_graph(tmp_path, no_summary, {"scan:a": ("o/a.json",)})
        assert "Run summary" not in render_report(
            graph2.tasks["review"], graph=graph2, store=store, run_id=run
        )
    finally:
        store.close()


def test_summary_shows_the_run_that_made_an_up_to_date_output_and_counts_restores_apart(
    tmp_path: Path,
) -> None:
    # a: done in run 1, failed in run 2 (then its input went back), so up to date from run 1's result; in
    # run 3, a is restored from the cache and b runs: one task ran, one was restored
    store = Store.open(tmp_path)
    try:
        t0 = time.time() - 100
        run1 = store.begin_run()
        store.record_attempt(AttemptRecord(run1, "a", "done", t0, t0 + 1, 1))
        run2 = store.begin_run()
        store.record_attempt(
            AttemptRecord(run2, "a", "failed", t0 + 10, t0 + 15, 3, None, None, None, "exit", "x")
        )
        run3 = store.begin_run()
        store.record_attempt(AttemptRecord(run3, "b", "done", t0 + 20, t0 + 22, 1))
        graph = make_graph(
            tmp_path,
            ReportSpec(name="r", inputs=("o/b.md",), output="R.md"),
            {"a": ("o/a.md",), "b": ("o/b.md",)},
        )
        text = render_summary(graph, store, run3, ["a", "b"])
        assert "| a | up to date (run 1) | 1.0s | 1 |" in text, text  # not run 2's failed attempt
        assert "| tasks run before this report | 1 |" in text
        store.record_attempt(AttemptRecord(run3, "a", "cached", t0 + 20, t0 + 20.01, 1))
        text = render_summary(graph, store, run3, ["a", "b"])
        assert "| tasks run before this report | 1 |" in text, text
        assert "| tasks restored from the cache | 1 |" in text, text
    finally:
        store.close()


def test_a_salvaged_answers_cost_is_shown_on_its_row_but_not_in_the_runs_cost(tmp_path: Path) -> None:
    """A salvaged answer is recorded "cached" with what it cost when it was paid for: this run paid only b."""
    store = Store.open(tmp_path)
    try:
        t0 = time.time() - 100
        run = store.begin_run()
        store.record_attempt(AttemptRecord(run, "a", "cached", t0, t0 + 3, 1, 0.5, 100, 20))
        store.record_attempt(AttemptRecord(run, "b", "done", t0, t0 + 2, 1, 0.25, 10, 2))
        graph = make_graph(
            tmp_path,
            ReportSpec(name="r", inputs=("o/b.md",), output="R.md"),
            {"a": ("o/a.md",), "b": ("o/b.md",)},
        )
        text = render_summary(graph, store, run, ["a", "b"])
        assert "| a | cached | 3.0s | 1 | $0.50 | 100 in / 20 out |" in text, text
        assert "| cost | $0.25 |" in text and "| tokens | 10 in / 2 out |" in text, text
    finally:
        store.close()


def test_table_cells_keep_code_spans_as_written() -> None:
    from agentmake.display.fmt import md_cell

    # inside a code span Markdown takes backslashes literally: doubling them showed `\\d+` for `\d+`
    assert md_cell("regex `\\d+` fails") == "regex `\\d+` fails"
    assert md_cell("C:\\temp") == "C:\\\\temp"  # outside code, the backslash is escaped to show as written
    assert md_cell("`a|b` or c|d") == "`a\\|b` or c\\|d"  # (a pipe needs its backslash in code too)
    assert md_cell("`x\ny`\nz") == "`x y`<br>z"  # a break inside code would show as text


def test_every_list_of_findings_in_a_json_output_is_a_table() -> None:
    # an agent's JSON with two lists ("findings" and "warnings") showed the first as a table and the second
    # as raw JSON in the key/value table; with two lists under other names, it was all raw JSON
    from agentmake.report.markdown import json_markdown

    text = json_markdown(
        {"summary": "2 issues", "findings": [{"line": 3}], "warnings": [{"line": 9, "note": "slow"}]}
    )
    assert "| summary | 2 issues |" in text and '"line"' not in text, text
    first, second = text.index("**findings** (1)"), text.index("**warnings** (1)")
    assert first < text.index("| line |\n|---|\n| 3 |") < second
    assert "| line | note |\n|---|---|\n| 9 | slow |" in text
    both = json_markdown({"passed": [{"id": "a"}], "failed": [{"id": "b"}], "errors": []})
    assert "**passed** (1)" in both and "**failed** (1)" in both
    assert "**errors** (0)\n\n_(no entries)_" in both
    assert "```json" not in both
