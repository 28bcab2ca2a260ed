"""Partial reports: with -k, a report whose inputs a failed (or not run) task should have made is built anyway
from the rest, says what is missing and why, is never up to date nor restored from the cache, and without -k
nothing changes. Real builds of shell agents through the CLI; `broken` makes agent `b` fail."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

FAILING_B = """
    if [ -e broken ]; then echo 'b: out of cheese' >&2; exit 1; fi; cat {input} > {output}
"""

AGENTFILE = f"""
retries = 0

agent a:
    inputs = src/a.txt
    outputs = build/a.md
    run = "cat {{input}} > {{output}}"

agent b:
    inputs = src/b.txt
    outputs = build/b.md
    run = "{FAILING_B.strip()}"

report r:
    title = "All of it"
    inputs = build/a.md build/b.md
    output = R.md
    summary = false
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    project = E2E(tmp_path / "proj", fake_agents)
    project.write("src/a.txt", "alpha findings\n")
    project.write("src/b.txt", "beta findings\n")
    project.write("Agentfile", AGENTFILE)
    return project


def report_line(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(("report r: ", "report r (")))


def test_with_k_a_report_is_built_from_what_was_made_and_names_what_is_missing(e2e: E2E) -> None:
    e2e.write("broken", "")
    run = e2e.am("report", "-k")
    assert run.code == 1, run  # the build still failed
    assert run.summary.failed == 1 and run.summary.ran == 1, run  # a (made whole)
    assert run.summary.partial == 1, run  # the report: counted apart, not as one that ran
    assert run.out.splitlines()[0].startswith(
        "agentmake: 1 ran, 0 cached, 0 up to date, 1 failed, 1 partial in "
    )
    assert report_line(run.out) == f"report r (partial: 1 of 2 inputs missing): {e2e.root / 'R.md'}", run
    assert run.states["r"] == "done" and "(partial: 1 of 2 inputs missing)" in run.err, run
    text = e2e.read("R.md")
    assert text.startswith("# All of it\n\n> **Partial report: 1 of 2 inputs missing.**"), text
    assert "alpha findings" in text  # what was made is there
    note = text.split("## build/a.md")[0]
    assert "`build/b.md` (missing, from `b`): `b failed: exited with code 1: b: out of cheese`" in note, text
    assert "_(missing: `b failed: exited with code 1: b: out of cheese`)_" in text.split("## build/b.md")[1]

    status = e2e.am("status")  # never up to date: the next build rebuilds it
    assert "the last build made a partial report (1 of 2 inputs missing: build/b.md (b failed" in status.out

    again = e2e.am("report", "-k", "-v")  # still broken: partial again, rebuilt (not found up to date)
    assert again.code == 1 and "r" not in again.with_state("up-to-date"), again
    assert report_line(again.out).startswith("report r (partial: 1 of 2 inputs missing): "), again

    (e2e.root / "broken").unlink()  # the failure fixed: nothing else about the report changed
    fixed = e2e.am("report")
    assert fixed.code == 0, fixed
    assert fixed.with_state("done") == {"b", "r"}, fixed
    assert report_line(fixed.out).endswith("R.md"), fixed
    text = e2e.read("R.md")
    assert "Partial" not in text and "missing" not in text, text
    assert "alpha findings" in text and "beta findings" in text, text
    assert e2e.am("report").summary.up_to_date == 3
    assert not (e2e.root / ".agentmake" / "edited").exists()  # the partial document was agentmake's own


def test_a_missing_input_whose_earlier_file_is_there_is_said_left_out(e2e: E2E) -> None:
    """b made build/b.md in an earlier build, then failed: the file is there, but the report does not use
    it (it may not match a's), and says so rather than only "missing" of a file the reader can see."""
    assert e2e.am("report").code == 0
    e2e.write("src/b.txt", "beta, revised\n")
    e2e.write("broken", "")
    run = e2e.am("report", "-k")
    assert run.code == 1 and e2e.read("build/b.md") == "beta findings\n", run
    text = e2e.read("R.md")
    note = text.split("## build/a.md")[0]
    assert "`build/b.md` (missing: an earlier build's file is left out, from `b`): `b failed" in note, text
    section = text.split("## build/b.md")[1]
    assert "out of cheese`; an earlier build's file is left out)_" in section, text
    assert "beta findings" not in text


def test_without_k_a_complete_report_is_left_as_it_was(e2e: E2E) -> None:
    assert e2e.am("report").code == 0
    complete = e2e.read("R.md")
    e2e.write("broken", "")
    e2e.write("src/b.txt", "beta, edited\n")  # b must run again, and fails

    stopped = e2e.am("report")
    assert stopped.code == 1 and "report r:" not in stopped.out, stopped
    assert stopped.states["r"] == "not-run", stopped
    assert e2e.read("R.md") == complete  # not overwritten

    going = e2e.am("report", "-k")
    assert going.code == 1, going
    text = e2e.read("R.md")
    # an earlier build's build/b.md is on disk, but it is not what b makes now: it is not shown
    assert e2e.read("build/b.md") == "beta findings\n"
    assert "beta findings" not in text and "Partial report: 1 of 2 inputs missing" in text, text

    # the failure fixed and b's input as it was: b is up to date again, and the report's inputs are those
    # of the first, complete build; the complete document (cached under them) comes back, not the partial
    (e2e.root / "broken").unlink()
    e2e.write("src/b.txt", "beta findings\n")
    back = e2e.am("report")
    assert back.code == 0, back
    assert e2e.read("R.md") == complete
    assert e2e.am("report").summary.up_to_date == 3


def test_status_md_shows_a_partial_report_as_partial_as_the_terminal_does(e2e: E2E) -> None:
    """The terminal's table says `partial` for a partial report; status.md said `done`, as for a whole one."""
    e2e.write("broken", "")
    run = e2e.am("report", "-k")
    assert run.code == 1, run
    rows = {
        cells[1]: cells[2]
        for line in e2e.read(".agentmake/status.md").splitlines()
        if (cells := [c.strip() for c in line.split("|")])[0] == "" and len(cells) > 3
    }
    assert rows["r"] == "partial" and rows["a"] == "done" and rows["b"] == "failed", rows


def test_a_report_run_summary_names_a_partial_report_partial(e2e: E2E) -> None:
    """A report's run summary shows a partial report's row as `partial`, the word the terminal and status.md
    use (it said `done (partial)`)."""
    e2e.write(
        "Agentfile", AGENTFILE + "\nreport outer:\n    inputs = R.md build/a.md\n    output = OUTER.md\n"
    )
    e2e.write("broken", "")
    assert e2e.am("-k", "outer").code == 1
    rows = [line for line in e2e.read("OUTER.md").splitlines() if line.startswith("| r |")]
    assert len(rows) == 1 and rows[0].startswith("| r | partial |"), rows


def test_a_partial_report_is_never_the_cache_entry_of_its_inputs(e2e: E2E) -> None:
    e2e.write("broken", "")
    assert e2e.am("report", "-k").code == 1
    with sqlite3.connect(e2e.root / ".agentmake" / "state.db") as conn:
        row = conn.execute("SELECT key, status, error FROM tasks WHERE task_id = 'r'").fetchone()
        keys = [row[0] for row in conn.execute("SELECT key FROM cache")]
    conn.close()
    key, status, error = row
    assert status == "partial" and key.startswith("partial:"), (key, status)
    assert error.startswith("1 of 2 inputs missing: build/b.md (b failed"), error
    assert [k for k in keys if k.startswith("partial:")] == [key]


def test_a_template_sees_what_is_missing_and_one_that_ignores_it_still_renders(e2e: E2E) -> None:
    e2e.write(
        "tell.j2",
        """\
        {% if partial %}INCOMPLETE{% for m in missing %} [{{ m.path }} by {{ m.task }}: {{ m.reason }}]
        {%- endfor %}{% endif %}
        {% for i in inputs %}{{ i.path }} missing={{ i.missing }} why={{ i.reason }}: {{ i.content }}
        {% endfor %}""",
    )
    e2e.write("plain.j2", "{% for i in inputs %}<{{ i.path }}>{{ i.content }}{% endfor %}\n")
    e2e.write(
        "Agentfile",
        AGENTFILE
        + """
report told:
    inputs = build/a.md build/b.md
    output = TOLD.md
    template = tell.j2
    summary = false

report plain:
    inputs = build/a.md build/b.md
    output = PLAIN.md
    template = plain.j2
    summary = false
""",
    )
    e2e.write("broken", "")
    run = e2e.am("report", "-k", "told", "plain")
    assert run.code == 1, run
    told = e2e.read("TOLD.md")
    why = "b failed: exited with code 1: b: out of cheese"
    assert told.startswith(f"INCOMPLETE [build/b.md by b: {why}]"), told
    assert "build/a.md missing=False why=: alpha findings" in told, told
    assert "build/b.md missing=True why=b failed: exited with code 1: b: out of cheese: \n" in told, told
    assert e2e.read("PLAIN.md") == "<build/a.md>alpha findings\n<build/b.md>"
    (e2e.root / "broken").unlink()
    assert e2e.am("report", "told").code == 0
    assert not e2e.read("TOLD.md").startswith("INCOMPLETE")


def test_a_report_none_of_whose_inputs_was_made_is_not_written_and_not_run(e2e: E2E) -> None:
    """With -k, a report whose every input is missing has nothing to report: no document (a page of
    'missing' would replace the last good one), the report counted as not run, saying why, and what was at
    its output left as it was; a report on it is told so, one step removed."""
    e2e.write(
        "Agentfile",
        AGENTFILE
        + """
report lone:
    inputs = build/b.md
    output = LONE.md
    summary = false

report above:
    inputs = LONE.md build/a.md
    output = ABOVE.md
    summary = false

report nothing:
    inputs = LONE.md
    output = NOTHING.md
    summary = false
""",
    )
    assert e2e.am("lone").code == 0
    complete = e2e.read("LONE.md")
    e2e.write("broken", "")
    e2e.write("src/b.txt", "beta, edited\n")  # b must run again, and fails
    e2e.write("NOTHING.md", "a file of mine\n")

    run = e2e.am("report", "-k", "lone", "above", "nothing")
    assert run.code == 1, run
    assert run.states["lone"] == "not-run" and run.states["nothing"] == "not-run", run
    why = "nothing to report (1 of 1 inputs missing): build/b.md (b failed: exited with code 1: b: out of"
    why += " cheese)"
    assert f"not run     lone  ({why})" in run.err, run
    assert run.summary.not_run == 2 and run.summary.partial == 1, run  # above: partial, from a alone
    lines = [line for line in run.out.splitlines() if line.startswith("report ")]
    assert lines == [f"report above (partial: 1 of 2 inputs missing): {e2e.root / 'ABOVE.md'}"], run
    assert e2e.read("LONE.md") == complete  # left as it was: not replaced by a page of 'missing'
    assert e2e.read("NOTHING.md") == "a file of mine\n"
    assert not (e2e.root / ".agentmake" / "edited").exists()  # nothing was replaced, so nothing saved
    above = e2e.read("ABOVE.md")
    said = "`LONE.md` (missing: an earlier build's file is left out, from `lone`): `lone not run: nothing"
    assert said in above, above
    rows = {
        cells[1]: cells[2]
        for line in e2e.read(".agentmake/status.md").splitlines()
        if (cells := [c.strip() for c in line.split("|")])[0] == "" and len(cells) > 3
    }
    assert rows["lone"] == "not run" and rows["nothing"] == "not run", rows

    (e2e.root / "broken").unlink()  # fixed: the report is made whole again
    fixed = e2e.am("report", "lone")
    assert fixed.code == 0 and "lone" in fixed.with_state("done"), fixed
    assert "beta, edited" in e2e.read("LONE.md")


def test_a_report_on_a_partial_report_is_partial_and_an_agent_on_one_is_not_run(e2e: E2E) -> None:
    e2e.write(
        "Agentfile",
        AGENTFILE
        + """
agent c:
    inputs = build/b.md
    outputs = build/c.md
    run = "cat {input} > {output}"

report deep:
    inputs = build/c.md build/a.md
    output = DEEP.md
    summary = false

report outer:
    inputs = R.md build/a.md
    output = OUTER.md
    summary = false

agent digest:
    inputs = R.md
    outputs = build/digest.md
    run = "wc -l {input} > {output}"
""",
    )
    e2e.write("broken", "")
    run = e2e.am("-k", "outer", "digest", "deep")
    assert run.code == 1, run
    assert run.states["digest"] == "not-run", run
    assert "dependency r is a partial report (1 of 2 inputs missing)" in run.err, run
    assert not e2e.exists("build/digest.md")
    outer = e2e.read("OUTER.md")
    assert "> **Partial report: 1 of 2 inputs a partial report.**" in outer, outer
    assert "`R.md` (incomplete, from `r`): `r is a partial report: 1 of 2 inputs missing`" in outer, outer
    assert "Partial report: 1 of 2 inputs missing" in outer  # R.md itself is there, as it is
    deep = e2e.read("DEEP.md")  # c was not run because b failed: said so, one step removed
    assert "`build/c.md` (missing, from `c`): `c not run: b failed`" in deep, deep

    (e2e.root / "broken").unlink()
    fixed = e2e.am("outer", "digest", "deep")
    assert fixed.code == 0, fixed
    assert "Partial" not in e2e.read("OUTER.md") and "Partial" not in e2e.read("DEEP.md")
    assert e2e.exists("build/digest.md")


def test_agentmake_report_says_what_to_do_about_a_report_a_failure_kept_from_being_written(e2e: E2E) -> None:
    """(newuser3) `agentmake report` after a failure printed no report path and `not run (1): r`, nothing
    about what to do, while an earlier report stayed in place, stale. It says so now: fix and build again,
    or `-k` writes it without what failed; and that the report in place is an earlier build's."""
    assert e2e.am("report").code == 0
    e2e.write("broken", "")
    e2e.write("src/b.txt", "beta findings, revised\n")
    run = e2e.am("report")
    assert run.code == 1 and "report r: " not in run.out, run
    said = [line for line in run.err.splitlines() if line.startswith("agentmake: report r not written")]
    assert len(said) == 1, run
    assert "R.md in place is an earlier build's" in said[0] and "agentmake report -k r" in said[0], run
    assert "b failed" in said[0] or "failure of b" in said[0], run  # why, as the build tells it
    run = e2e.am("report", "-k")  # what it said to do does what it said
    assert "not written" not in run.err and report_line(run.out).startswith(
        "report r (partial: 1 of 2 inputs missing): "
    )
