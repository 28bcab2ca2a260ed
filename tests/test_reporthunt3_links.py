"""Relative links and images of a Markdown input are relative to the input's directory; included in a report
written elsewhere (`build/a.md` into `REVIEW.md`), `![](fig.svg)` pointed at `fig.svg` beside the report, a
file that is not there: every picture and link of the section was broken. They are rebased onto the report's
directory; absolute links, URLs, anchors and code are left as they are."""

from __future__ import annotations

from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E
from test_report import make_graph, write

from agentmake.model import ReportSpec
from agentmake.report import render_report

DOC = """# Findings

![chart](fig.svg) and [the log](logs/run.txt#L3 "title") and [up](../README.md)
See [site](https://example.com/a.png), [mail](mailto:a@b.c), [anchor](#findings), [root](/etc/x.md),
an <img src="raw.png"> tag and `[code](fig.svg)` in a span.

```
[fenced](fig.svg)
```

[ref]: notes/ref.md
[abs]: https://example.com/
"""


def test_relative_links_of_an_included_markdown_input_still_point_at_their_files(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("src/doc.md", DOC)
    e2e.write(
        "Agentfile",
        """
        agent a:
            run = "cp {input} {output}"
            inputs = src/doc.md
            outputs = build/sub/doc.md

        report r:
            inputs = build/sub/doc.md
            output = REVIEW.md
            summary = false
        """,
    )
    run = e2e.am("report")
    assert run.code == 0, run
    text = e2e.read("REVIEW.md")
    assert "![chart](build/sub/fig.svg)" in text, text
    assert '[the log](build/sub/logs/run.txt#L3 "title")' in text, text
    assert "[up](build/README.md)" in text, text
    assert "[ref]: build/sub/notes/ref.md" in text, text
    # (what is not a path relative to the input is left as written, and so is code)
    for kept in (
        "[site](https://example.com/a.png)", "[mail](mailto:a@b.c)", "[anchor](#findings)",
        "[root](/etc/x.md)", '<img src="raw.png">', "`[code](fig.svg)`", "[fenced](fig.svg)",
        "[abs]: https://example.com/",
    ):  # fmt: skip
        assert kept in text, (kept, text)


def test_links_are_rebased_to_a_report_in_another_directory(tmp_path: Path) -> None:
    inputs = (write(tmp_path, "build/a.md", "![x](img/a.png) [n](../notes.md)\n"),)
    spec = ReportSpec(name="r", inputs=inputs, output="docs/out/R.md", summary=False)
    graph = make_graph(tmp_path, spec, {"scan": inputs})
    text = render_report(graph.tasks["r"], graph=graph)
    assert "![x](../../build/img/a.png) [n](../../notes.md)" in text, text


def test_an_input_beside_the_report_is_left_as_it_is(tmp_path: Path) -> None:
    inputs = (write(tmp_path, "build/a.md", "![x](img/a.png) [n](../notes.md)\n"),)
    spec = ReportSpec(name="r", inputs=inputs, output="build/R.md", summary=False)
    graph = make_graph(tmp_path, spec, {"scan": inputs})
    text = render_report(graph.tasks["r"], graph=graph)
    assert "![x](img/a.png) [n](../notes.md)" in text, text
