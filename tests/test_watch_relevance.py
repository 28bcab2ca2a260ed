"""What a change calls for (`WatchSession.relevant`), asked of a real session over a real project (its
store, its files; the watcher thread is not started: the test hands it the changed paths as the watcher
would). The files that plan the build are found when the Agentfile is loaded, not again at each change;
the answers follow an edit of the Agentfile all the same."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentmake.watch.relevance import Changes
from agentmake.watch.session import WatchSession
from agentmake.workflow import Request

AGENTFILE = """\
agent copy:
    inputs  = {docs}/{{name}}.md
    outputs = build/{{name}}.txt
    run     = "cp {{input}} {{output}}"

report all:
    inputs   = build/*.txt
    output   = REPORT.md
    summary  = false
    template = {template}
{include}
default = all
"""

MORE = """\
agent more:
    inputs  = more.md
    outputs = build/more.out
    run     = "cp {input} {output}"
"""


def agentfile(docs: str = "docs", template: str = "t.j2", include: str = "") -> str:
    return AGENTFILE.format(docs=docs, template=template, include=include)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    for d in ("docs", "notes"):
        (root / d).mkdir(parents=True)
        (root / d / "a.md").write_text(f"{d} a\n")
    for name in ("t.j2", "u.j2"):
        (root / name).write_text("{% for f in inputs %}{{ f.path }}\n{% endfor %}")
    (root / "more.md").write_text("more\n")
    (root / "more.Agentfile").write_text(MORE)
    (root / "Agentfile").write_text(agentfile())
    return root


@pytest.fixture
def found(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times a session has found the files that plan the build (`watched_files`), as one number."""
    calls = [0]
    real = WatchSession.watched_files

    def counted(self: WatchSession) -> set[str]:
        calls[0] += 1
        return real(self)

    monkeypatch.setattr(WatchSession, "watched_files", counted)
    return calls


@pytest.fixture
def session(project: Path) -> Iterator[WatchSession]:
    s = WatchSession(Request(directory=project, silent=True))
    try:
        assert s.load()
        yield s
    finally:
        s.close()


def plan_edit(c: Changes) -> bool:
    """A save of a file that plans the build: reload, and build what is stale."""
    return c.regraph and c.rebuild and not c.maybe_new


def read_edit(c: Changes) -> bool:
    """A save of a file a task reads, which plans nothing."""
    return c.rebuild and not c.regraph and not c.maybe_new


def unread(c: Changes) -> bool:
    """A file no task reads: a reload, to see if it adds a task; no build unless it does."""
    return c.maybe_new and not c.rebuild


def test_the_files_that_plan_the_build_are_found_once_per_load_not_per_change(
    project: Path, found: list[int], session: WatchSession
) -> None:
    assert found == [1]  # (the load)
    for i in range(5):
        (project / "docs/a.md").write_text(f"docs a {i}\n")
        assert read_edit(session.relevant({"docs/a.md"}))
        (project / "notes/a.md").write_text(f"notes a {i}\n")
        assert unread(session.relevant({"notes/a.md"}))
    assert plan_edit(session.relevant({"t.j2"}))
    assert found == [1]  # it found them again at each of those 11 changes


def test_the_answers_follow_a_new_include(project: Path, found: list[int], session: WatchSession) -> None:
    assert unread(session.relevant({"more.Agentfile"}))  # (not included yet)
    (project / "Agentfile").write_text(agentfile(include='include "more.Agentfile"'))
    assert plan_edit(session.relevant({"Agentfile"}))
    assert session.load() and found == [2]  # (as watch does: a plan edit reloads)
    assert "more" in session.project.graph.tasks  # type: ignore[union-attr]
    assert plan_edit(session.relevant({"more.Agentfile"}))
    assert read_edit(session.relevant({"more.md"}))
    assert found == [2]


def test_the_answers_follow_a_changed_glob_and_template(
    project: Path, found: list[int], session: WatchSession
) -> None:
    assert read_edit(session.relevant({"docs/a.md"})) and unread(session.relevant({"notes/a.md"}))
    assert plan_edit(session.relevant({"t.j2"})) and unread(session.relevant({"u.j2"}))
    (project / "Agentfile").write_text(agentfile(docs="notes", template="u.j2"))
    assert plan_edit(session.relevant({"Agentfile"}))
    assert session.load() and found == [2]
    assert read_edit(session.relevant({"notes/a.md"})) and unread(session.relevant({"docs/a.md"}))
    assert plan_edit(session.relevant({"u.j2"})) and unread(session.relevant({"t.j2"}))
    assert found == [2]


def test_a_link_to_a_template_re_pointed_is_followed(
    project: Path, found: list[int], session: WatchSession
) -> None:
    """The template is a link into tpl/: its target is the file saved (the kernel names it, not the link).
    Re-pointed, the new target is what plans the build: found again then (the one change on the way to a
    file that plans it), as the old code found them again at every change."""
    (project / "tpl").mkdir()
    (project / "tpl/one.j2").write_text("one {{ inputs | length }}\n")
    (project / "tpl/two.j2").write_text("two {{ inputs | length }}\n")
    (project / "t.j2").unlink()
    os.symlink("tpl/one.j2", project / "t.j2")
    assert session.load() and found == [2]
    assert plan_edit(session.relevant({"tpl/one.j2"})) and unread(session.relevant({"tpl/two.j2"}))
    (project / "t.j2").unlink()
    os.symlink("tpl/two.j2", project / "t.j2")
    assert session.relevant({"t.j2"}).rebuild and found == [3]
    assert plan_edit(session.relevant({"tpl/two.j2"})) and unread(session.relevant({"tpl/one.j2"}))
    assert found == [3]
