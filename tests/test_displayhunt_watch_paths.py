"""Watch names the files it saw change, and what a dropped task leaves, as the Agentfile writes a path:
`its output "build/a b.txt" is left in place`, `"docs/a b.md", docs/c.md changed` (a list of paths with
spaces, joined by commas, did not say where each ends)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from test_watch import AGENTFILE, Watch

from agentmake.watch.session import _named


def test_the_files_added_are_named_quoted() -> None:
    graph: Any = SimpleNamespace(tasks={"t": SimpleNamespace(inputs=("docs/a b.md", "docs/c.md"))})
    assert _named(["docs/a b.md", "docs/c.md", "x.log"], cast(Any, graph)) == '"docs/a b.md", docs/c.md'


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., tuple[Path, Path]]:
    def make(docs: dict[str, str]) -> tuple[Path, Path]:
        project, log = tmp_path / "proj", tmp_path / "runs.log"
        (project / "docs").mkdir(parents=True)
        (project / "Agentfile").write_text(AGENTFILE.format(log=log, sleep=""))
        for name, text in docs.items():
            (project / "docs" / f"{name}.md").write_text(text)
        return project, log

    return make


def test_a_dropped_task_names_the_output_it_leaves_quoted(
    make_project: Callable[..., tuple[Path, Path]],
) -> None:
    project, log = make_project({"a b": "alpha\n", "c": "gamma\n"})
    w = Watch(project, log)
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        assert (project / "build" / "a b.txt").exists()
        (project / "docs" / "a b.md").unlink()
        w.wait_for(lambda: "dropped" in w.stderr(), "the dropped task to be reported")
        said = 'task copy:a b dropped (its input is gone); its output "build/a b.txt" is left in place'
        assert said in w.stderr(), w.stderr()
    finally:
        assert w.stop() == 130
