"""A Markdown input that opens an HTML block and never ends it (an answer cut short inside `<!-- …`, a `<pre>`
with no `</pre>`) is closed at the end of its section, as an unclosed code fence is: CommonMark runs such a
block to the end of the document, so every later section of the report, and its run summary, was hidden."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_report import make_graph, write

from agentmake.model import ReportSpec
from agentmake.report import render_report
from agentmake.report.markdown import demote_headings


@pytest.mark.parametrize(
    ("opening", "end"),
    [("<!-- a note never closed", "-->"), ("<pre>", "</pre>"), ("<?php", "?>"), ("<![CDATA[ x", "]]>")],
)
def test_a_section_that_opens_an_html_block_does_not_swallow_the_rest(
    tmp_path: Path, opening: str, end: str
) -> None:
    markdown_it = pytest.importorskip("markdown_it")  # (CommonMark, as rich brings it)
    a = write(tmp_path, "out/a.md", f"Answer start\n\n{opening}\n\n# Cut here\n")
    b = write(tmp_path, "out/b.md", "beta is visible\n")
    spec = ReportSpec(name="r", inputs=(a, b), output="R.md", summary=False)
    graph = make_graph(tmp_path, spec, {"scan": (a, b)})
    text = render_report(graph.tasks["r"], graph=graph)
    assert f"# Cut here\n{end}\n\n## out/b.md" in text, text
    html = markdown_it.MarkdownIt("commonmark").render(text)
    assert "<h2>out/b.md</h2>" in html and "<p>beta is visible</p>" in html, html


def test_closed_html_blocks_and_code_are_left_as_they_are() -> None:
    # (a `#` line inside `<pre>` is no heading: it is left as it is too)
    text = "<!-- one line -->\n# A\n\n<pre>\n# in pre\n</pre>\n\n```\n<!--\n```\n# B\n\n    <!-- code"
    assert demote_headings(text) == text.replace("# A", "### A").replace("# B", "### B")
