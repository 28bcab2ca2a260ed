"""`agentmake watch` started on an Agentfile that does not load said "watching for changes (fix it to start
building)"; once fixed, it built, then said nothing more: not that it goes on watching, nor how to stop it,
which a session that starts well says after its first build. Now it says so after that first build."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from test_watch import Watch, make_project, write  # noqa: F401 (the fixture)


def test_a_session_that_starts_broken_says_it_watches_once_fixed(
    make_project: Callable[..., tuple[Path, Path]],  # noqa: F811
) -> None:
    project, log = make_project({"a": "alpha\n"})
    good = (project / "Agentfile").read_text()
    write(project / "Agentfile", good + "agent broken\n")
    w = Watch(project, log)
    try:
        w.wait_for(lambda: "fix it to start building" in w.stderr(), "the Agentfile error")
        write(project / "Agentfile", good)
        w.next_build(0)
        w.wait_for(lambda: " to stop" in w.stderr(), "how to stop it")
        tail = w.stderr().split("fix it to start building", 1)[1]
        assert tail.count("agentmake: watching for changes (") == 1, tail
    finally:
        assert w.stop() == 130
