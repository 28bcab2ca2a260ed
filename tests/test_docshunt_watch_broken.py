"""docshunt: watch with an Agentfile that does not load prints no build for a save that changes nothing.

README, Watch mode: changes that leave nothing to do (a `touch`, the same bytes saved again...) "are no build
at all: nothing is printed". While the Agentfile had an error (the last good graph still in force), every
such save of an input printed a whole no-op build: `0 ran, 0 cached, 2 up to date`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from test_watch import Watch, make_project, write  # noqa: F401 (the fixture)


def test_a_touch_while_the_agentfile_is_broken_builds_nothing(
    make_project: Callable[..., tuple[Path, Path]],  # noqa: F811
) -> None:
    project, log = make_project({"a": "alpha\n", "b": "beta\n"})
    w = Watch(project, log)
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        good = (project / "Agentfile").read_text()
        write(project / "Agentfile", good + "agent broken\n")
        w.wait_for(lambda: "keeping the last good Agentfile" in w.stderr(), "the Agentfile error")

        os.utime(project / "docs/b.md")  # no change of content: nothing to do, nothing printed
        w.quiet(1.5)

        write(project / "docs/a.md", "alpha 2\n")  # still built against the last good graph
        assert w.next_build(1)[:2] == (2, 0)
        assert w.runs()[2:] == ["copy:a"]

        write(project / "Agentfile", good)  # it loads again: said with a build
        w.next_build(2)
    finally:
        assert w.stop() == 130
