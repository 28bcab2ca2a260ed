"""What a built-in or template report's key holds: everything its document is made from, so a change to any
of it renders the report again (and nothing is kept that the Agentfile no longer describes); and what a merge
report's key leaves out: settings its agent never sees, whose change would pay for the same answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.cli import main


def build(root: Path, *args: str) -> None:
    assert main(["-C", str(root), "-s", "report", *args]) == 0


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


MERGE_REPORT = '''\
    report merged:
        inputs = docs/a.md
        output = MERGED.md
        {extra}
        merge = """
            FAKE: label=merge
            Merge: {{{{ read("docs/a.md") }}}}{more}
            """
    '''


def test_a_merge_report_title_or_summary_change_pays_for_no_call(e2e: E2E) -> None:
    # neither reaches the merge agent's prompt nor its answer (the document): no new call, the same bytes
    e2e.write("docs/a.md", "hello\n")
    e2e.write("Agentfile", MERGE_REPORT.format(extra="", more=""))
    assert e2e.am().code == 0
    assert e2e.calls() == ["merge"]
    document = e2e.read("MERGED.md")
    for extra in ('title = "Merged findings"', "summary = false", 'title = "Other"\n        summary = true'):
        e2e.write("Agentfile", MERGE_REPORT.format(extra=extra, more=""))
        run = e2e.am()
        assert run.code == 0 and run.summary.up_to_date == 1, run
        assert e2e.calls() == ["merge"], f"paid again after `{extra}`:\n{run}"
        assert e2e.read("MERGED.md") == document
    # a change the agent sees still pays
    e2e.write("Agentfile", MERGE_REPORT.format(extra='title = "Other"', more=" (and more)"))
    assert e2e.am().code == 0
    assert e2e.calls() == ["merge", "merge"]


def test_a_merge_report_key_holds_the_default_title_and_summary(tmp_path: Path) -> None:
    # what every merge report with default settings was keyed with: their keys stay (no call after upgrade)
    from agentmake.graph import build_graph
    from agentmake.plan import Hasher, Rebuilder
    from agentmake.store import Store
    from agentmake.syntax import load_agentfile

    (tmp_path / "a.md").write_text("hello\n")
    (tmp_path / "Agentfile").write_text(
        'report merged:\n    title = "T"\n    summary = false\n    inputs = a.md\n    output = M.md\n'
        '    merge = "Merge {{ read(input) }}"\n'
    )
    graph = build_graph(load_agentfile(tmp_path / "Agentfile"))
    with Store.open(tmp_path) as store:
        parts = Rebuilder(graph, store, Hasher(tmp_path, store)).decide(graph.tasks["merged"]).parts
    assert parts["title"] == "merged" and parts["summary"] is True
    assert parts["template"] is None and parts["template_path"] is None
    assert "patterns" not in parts and "renderer" not in parts


def test_a_template_report_is_rendered_again_when_a_variable_changes(tmp_path: Path) -> None:
    (tmp_path / "Agentfile").write_text(
        'lang = "English"\n'
        "report r:\n    inputs = in.txt\n    output = R.md\n    template = rep.j2\n    summary = false\n"
    )
    (tmp_path / "in.txt").write_text("hello\n")
    (tmp_path / "rep.j2").write_text("Language: {{ variables.lang }}\n")
    build(tmp_path)
    assert (tmp_path / "R.md").read_text() == "Language: English\n"
    build(tmp_path, "lang=French")  # on the command line
    assert (tmp_path / "R.md").read_text() == "Language: French\n"
    af = tmp_path / "Agentfile"
    af.write_text(af.read_text().replace('"English"', '"German"'))  # in the Agentfile
    build(tmp_path)
    assert (tmp_path / "R.md").read_text() == "Language: German\n"


@pytest.mark.parametrize("template", [False, True])
def test_a_report_is_rendered_again_when_its_inputs_are_reordered(tmp_path: Path, template: bool) -> None:
    extra = "    template = rep.j2\n" if template else ""
    (tmp_path / "rep.j2").write_text("{% for f in inputs %}## {{ f.path }}\n{% endfor %}")
    (tmp_path / "Agentfile").write_text(
        f"report r:\n    inputs = a.txt b.txt\n    output = R.md\n    summary = false\n{extra}"
    )
    (tmp_path / "a.txt").write_text("AAA\n")
    (tmp_path / "b.txt").write_text("BBB\n")
    build(tmp_path)

    def order() -> list[str]:
        return [ln for ln in (tmp_path / "R.md").read_text().splitlines() if ln.startswith("## ")]

    assert order() == ["## a.txt", "## b.txt"]
    af = tmp_path / "Agentfile"
    af.write_text(af.read_text().replace("a.txt b.txt", "b.txt a.txt"))
    build(tmp_path)
    assert order() == ["## b.txt", "## a.txt"]


def test_a_report_with_the_run_summary_is_rendered_anew_not_restored(tmp_path: Path) -> None:
    # v1, v2, then v1 again: the agent's result comes back from the cache, but a cached copy of the report
    # would describe run 1; the report is rendered again (locally) and describes run 3
    (tmp_path / "Agentfile").write_text(
        'agent a:\n    inputs = in.txt\n    outputs = out/a.txt\n    run = "cp {input} {output}"\n'
        "report r:\n    inputs = out/a.txt\n    output = R.md\n"
    )
    for text in ("v1\n", "v2\n", "v1\n"):
        (tmp_path / "in.txt").write_text(text)
        build(tmp_path)
    document = (tmp_path / "R.md").read_text()
    assert "Run 3." in document and "Run 1." not in document, document
    assert "| a | cached |" in document


def test_a_report_input_pattern_that_matches_nothing_shows_an_empty_section(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("AAA\n")
    (tmp_path / "Agentfile").write_text(
        "report r:\n    inputs = a.txt nothing/*.md\n    output = R.md\n    summary = false\n"
    )
    build(tmp_path)
    document = (tmp_path / "R.md").read_text()
    assert "## a.txt" in document and "## nothing/*.md\n\n_(no file matches)_" in document, document


def test_the_run_summary_spans_every_attempt_of_a_retried_task(tmp_path: Path) -> None:
    # fails twice, then succeeds: 3 attempts of 0.3 s (and the waits between); the summary showed the last
    # attempt's 0.3 s, where a failed task's row already spanned all of its attempts
    (tmp_path / "f.sh").write_text(
        "n=$(cat .n 2>/dev/null || echo 0); echo $((n+1)) > .n; sleep 0.3\n"
        'if [ "$n" -ge 2 ]; then cp "$1" "$2"; else exit 1; fi\n'
    )
    (tmp_path / "in.txt").write_text("hi\n")
    (tmp_path / "Agentfile").write_text(
        "backoff = 0.05\n"
        "agent flaky:\n    inputs = in.txt\n    outputs = out/f.txt\n    retries = 3\n"
        '    run = "sh f.sh {input} {output}"\n'
        "report r:\n    inputs = out/f.txt\n    output = R.md\n"
    )
    build(tmp_path)
    row = next(line for line in (tmp_path / "R.md").read_text().splitlines() if line.startswith("| flaky |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "done" and cells[3] == "3", row
    assert float(cells[2].rstrip("s")) >= 0.9, row  # three attempts of 0.3 s at least
    # the scheduler's priorities still weigh the successful attempt alone (about 0.3 s), not the retries
    from agentmake.store import Store

    with Store.open(tmp_path) as store:
        assert 0.25 <= store.mean_durations()["flaky"] < 0.6


@pytest.mark.parametrize("summary", ["false", "true"])
def test_a_report_is_rendered_again_when_a_pattern_matching_nothing_is_added_or_removed(
    tmp_path: Path, summary: str
) -> None:
    # the document has a section for a pattern that matches no file: it is part of what the report is made of
    (tmp_path / "a.txt").write_text("AAA\n")
    af = tmp_path / "Agentfile"
    af.write_text(f"report r:\n    inputs = a.txt\n    output = R.md\n    summary = {summary}\n")
    build(tmp_path)
    before = (tmp_path / "R.md").read_text()
    assert "nothing/*.md" not in before
    af.write_text(af.read_text().replace("a.txt", "a.txt nothing/*.md"))
    build(tmp_path)
    assert "## nothing/*.md\n\n_(no file matches)_" in (tmp_path / "R.md").read_text()
    af.write_text(af.read_text().replace("a.txt nothing/*.md", "a.txt"))
    build(tmp_path)
    assert "nothing/*.md" not in (tmp_path / "R.md").read_text()


def test_explain_names_a_report_input_pattern_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.txt").write_text("AAA\n")
    af = tmp_path / "Agentfile"
    af.write_text("report r:\n    inputs = a.txt\n    output = R.md\n    summary = false\n")
    build(tmp_path)
    af.write_text(af.read_text().replace("a.txt", "a.txt nothing/*.md"))
    assert "report inputs changed a.txt → a.txt, nothing/*.md" in _explain_r(tmp_path, capsys)


def test_explain_names_the_variable_a_template_report_changed_with(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.txt").write_text("AAA\n")
    (tmp_path / "t.md.j2").write_text("# {{ title }}\n{% for f in inputs %}{{ f.content }}{% endfor %}\n")
    af = tmp_path / "Agentfile"
    af.write_text('lang = "fr"\nreport r:\n    inputs = a.txt\n    output = R.md\n    template = t.md.j2\n')
    build(tmp_path)
    af.write_text(af.read_text().replace('"fr"', '"de"'))
    out = _explain_r(tmp_path, capsys)
    assert "variable lang changed 'fr' → 'de'" in out, out
    assert "configuration changed" not in out


def test_explain_says_a_report_was_reordered(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("a", "b"):
        (tmp_path / f"{name}.txt").write_text(f"{name}\n")
    af = tmp_path / "Agentfile"
    af.write_text("report r:\n    inputs = a.txt b.txt\n    output = R.md\n    summary = false\n")
    build(tmp_path)
    af.write_text(af.read_text().replace("a.txt b.txt", "b.txt a.txt"))
    out = _explain_r(tmp_path, capsys)
    assert "report sections reordered" in out and "configuration changed" not in out, out


def _explain_r(root: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """What `agentmake explain r` prints in `root` (it must succeed)."""
    capsys.readouterr()
    assert main(["-C", str(root), "explain", "r"]) == 0
    return capsys.readouterr().out


def test_a_renamed_agent_renders_the_run_summary_again_and_only_then(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the renamed agent's result is found in place (same key): nothing runs, but the report's summary named
    # the old agent in its table and charts, and stayed up to date; another build renders nothing again
    agentfile = (
        'agent {name}:\n    inputs = in.txt\n    outputs = out/a.txt\n    run = "cp {{input}} {{output}}"\n'
        "report r:\n    inputs = out/a.txt\n    output = R.md\n"
    )
    (tmp_path / "in.txt").write_text("v1\n")
    (tmp_path / "Agentfile").write_text(agentfile.format(name="perf"))
    build(tmp_path)
    assert "| perf | done |" in (tmp_path / "R.md").read_text()

    (tmp_path / "Agentfile").write_text(agentfile.format(name="speed"))
    capsys.readouterr()
    assert main(["-C", str(tmp_path), "explain", "r"]) == 0
    assert "the tasks its run summary covers changed: perf gone, speed added" in capsys.readouterr().out
    build(tmp_path)
    document = (tmp_path / "R.md").read_text()
    summary = document.split("## Run summary")[1]
    assert "| speed |" in summary and "perf" not in summary, document
    assert 'n0["speed"]' in summary, document  # the task graph

    capsys.readouterr()
    assert main(["-C", str(tmp_path), "report"]) == 0
    assert "agentmake: 0 ran, 0 cached, 2 up to date, 0 failed" in capsys.readouterr().out
