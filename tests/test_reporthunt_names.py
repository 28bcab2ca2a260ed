"""A report written over files with odd names (a backtick, a newline, `# …`): every name it shows stays on its
line and shows as written. The critical path put each task id between single backticks, as the `same as`
note put a path: a task id holding a backtick broke the code span, one holding a blank line ended the
paragraph (`copy:x\\n\\n# Injected` made a heading of the rest of the line)."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

NAMES = ["a`b", "c\n\n# Injected"]  # (task ids `copy:a`b` and `copy:c\n\n# Injected`)


def test_odd_names_stay_code_spans_on_their_line(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    for name in NAMES:
        e2e.write(f"in/{name}.txt", "same text\n", dedent=False)
    e2e.write(
        "Agentfile",
        """\
        jobs = 1

        agent copy:
            inputs  = in/{n}.txt
            outputs = out/{n}.txt
            run     = "cp {input} {output}"

        report r:
            inputs = out/*.txt
            output = R.md
        """,
    )
    run = e2e.am("report")
    assert run.code == 0, run
    report = e2e.read("R.md")
    assert not re.search(r"^#+ Injected", report, re.M), report
    # -j 1: the path as it ran goes through both tasks, one waiting for the other's slot
    critical = next(line for line in report.splitlines() if line.startswith("Critical path ("))
    assert "``copy:a`b``" in critical and "`copy:c\\n\\n# Injected`" in critical, critical
    assert "_(same as ``out/a`b.txt``)_" in report, report  # (the second input, the same bytes as the first)


def test_any_error_inside_a_report_template_names_its_line(tmp_path: Path, fake_agents: FakeAgents) -> None:
    """A RuntimeError out of a template (a dict changed while a loop reads it) was `report rendering failed:
    RuntimeError: …`, with no file or line, where every other error names them (as a prompt's does)."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("in/a.txt", "a\n")
    e2e.write("Agentfile", "report r:\n    inputs = in/a.txt\n    output = R.md\n    template = t.md.j2\n")
    e2e.write(
        "t.md.j2",
        '# {{ title }}\n{% set d = {"a": 1} %}\n'
        '{% for k in d %}{% set _ = d.update({k ~ "x": 1}) %}{% endfor %}\n',
    )
    run = e2e.am("report")
    assert run.code == 1, run
    assert (
        "t.md.j2:3:1: report template: RuntimeError: dictionary changed size during iteration" in run.text
    ), run
