"""An empty input of a built-in report says `_(empty)_` whatever its kind: a `.txt`, `.py` or `.json` one was
an empty code block (only a Markdown one said it was empty)."""

from __future__ import annotations

from pathlib import Path

from test_report import make_graph, write

from agentmake.model import ReportSpec
from agentmake.report import render_report


def test_an_empty_input_of_any_kind_says_it_is_empty(tmp_path: Path) -> None:
    inputs = (
        write(tmp_path, "out/a.txt", ""),
        write(tmp_path, "out/b.json", "\n"),
        write(tmp_path, "out/c.py", "  \n\n"),
        write(tmp_path, "out/d.md", ""),
        write(tmp_path, "out/e.txt", "text\n"),
    )
    spec = ReportSpec(name="r", inputs=inputs, output="R.md", summary=False)
    graph = make_graph(tmp_path, spec, {"scan": inputs})
    text = render_report(graph.tasks["r"], graph=graph)
    assert "```" not in text.split("## out/e.txt")[0], text
    assert text.split("## out/")[1:] == [
        "a.txt\n\n_(empty)_\n\n",
        "b.json\n\n_(empty)_\n\n",
        "c.py\n\n_(empty)_\n\n",
        "d.md\n\n_(same as `out/a.txt`)_\n\n",  # (the same bytes as out/a.txt)
        "e.txt\n\n```\ntext\n```\n",
    ]
