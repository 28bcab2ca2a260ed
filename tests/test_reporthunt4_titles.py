"""A report's title is one heading on one line: a title written over several lines (a triple-quoted string,
a `\\n`) made a heading of its first line and a paragraph, or another heading, of the rest; heading marks it
starts with were shown as text under `#`. The section of an input pattern that matches no file is named on
one line too. Real builds through the CLI, and `heading_text` itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.report.markdown import heading_text

AGENTFILE = '''
report r:
    title = """
        ## Weekly
        review   notes
        """
    inputs = a.md "x\\ny/*.md"
    output = R.md
    summary = false
{template}'''


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    project = E2E(tmp_path / "proj", fake_agents)
    project.write("a.md", "# A\n")
    return project


def test_a_title_written_over_several_lines_is_one_heading(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE.replace("{template}", ""))
    run = e2e.am()
    assert run.code == 0, run
    lines = e2e.read("R.md").splitlines()
    assert lines[0] == "# Weekly review notes", lines
    assert [line for line in lines if line.startswith("#")] == [
        "# Weekly review notes", "## a.md", "### A", "## x\\ny/*.md",
    ], lines  # fmt: skip


def test_a_template_sees_the_title_on_one_line(e2e: E2E) -> None:
    e2e.write("r.j2", "[{{ title }}]\n")
    e2e.write("Agentfile", AGENTFILE.replace("{template}", "    template = r.j2\n"))
    run = e2e.am()
    assert run.code == 0, run
    assert e2e.read("R.md") == "[Weekly review notes]\n"


@pytest.mark.parametrize(
    ("title", "shown"),
    [
        ("Plain", "Plain"),
        ("  padded\t ", "padded"),
        ("one\ntwo\r\nthree", "one two three"),
        ("# ## Nested", "Nested"),
        ("#1 priority", "#1 priority"),  # (no heading mark: no space after it)
        ("Notes #2", "Notes #2"),
        ("##", ""),
        ("bell\x07", "bell\\x07"),
        ("x" * 300, "x" * 300),  # (a long title stays whole: one line is all a heading needs)
    ],
)
def test_heading_text(title: str, shown: str) -> None:
    assert heading_text(title) == shown


def test_a_title_of_heading_marks_alone_falls_back_to_the_name(e2e: E2E) -> None:
    e2e.write(
        "Agentfile",
        'report r:\n    title = "##"\n    inputs = a.md\n    output = R.md\n    summary = false\n',
    )
    assert e2e.am().code == 0
    assert e2e.read("R.md").splitlines()[0] == "# r"
