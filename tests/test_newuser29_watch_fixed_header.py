"""A watch whose Agentfile was broken, then fixed, built without the line that names what the build is for
(`agentmake: docs/a.md changed: building`), which every other build of a session says first: its task lines
followed the error with nothing to say that the Agentfile now loads. Now it says so."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from test_watch import Watch, make_project, write  # noqa: F401 (the fixture)


def test_a_build_after_the_agentfile_is_fixed_says_so_first(
    make_project: Callable[..., tuple[Path, Path]],  # noqa: F811
) -> None:
    project, log = make_project({"a": "alpha\n"})
    good = (project / "Agentfile").read_text()
    w = Watch(project, log)
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and " to stop" in w.stderr(), "the first build")
        write(project / "Agentfile", good + "agent broken\n")
        w.wait_for(lambda: "keeping the last good Agentfile" in w.stderr(), "the Agentfile error")
        write(project / "Agentfile", good)
        w.next_build(1)
        tail = w.stderr().split("keeping the last good Agentfile)\n", 1)[1]
        assert tail.startswith("agentmake: Agentfile loads again: building\n"), tail
    finally:
        assert w.stop() == 130
