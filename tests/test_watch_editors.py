"""`agentmake watch` as a real subprocess against what editors and people do to files: the common save
patterns (vim's backup rename, an atomic temp-and-rename save, `sed -i`, truncate then write), a file the
Agentfile names created after the Agentfile, and inputs reached through a symbolic link inside the project.
The LLM agent is the fake `claude` (tests/fake_agents), whose log counts every paid call."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from conftest import FakeAgents
from test_watch import AGENTFILE, Watch, write
from test_watch_cancels import _calls, _project, _wait

TRANSLATE = """\
agent tr:
    runner  = claude
    prompt  = {prompt}
    inputs  = docs/{{name}}.md
    outputs = out/{{name}}.md
"""


def _copies(tmp_path: Path, docs: dict[str, str]) -> tuple[Path, Path]:
    """test_watch's project (a shell agent copying each docs/*.md, a report) and its run log."""
    log = tmp_path / "runs.log"
    files = {f"docs/{name}.md": text for name, text in docs.items()}
    return _project(tmp_path, AGENTFILE.format(log=log, sleep=""), files), log


def _first_build(w: Watch) -> None:
    _wait(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build", w)


def test_editor_save_patterns_each_rebuild_once(tmp_path: Path) -> None:
    project, log = _copies(tmp_path, {"a": "alpha\n"})
    docs = project / "docs"
    w = Watch(project, log)
    try:
        _first_build(w)
        # vim: a swap file, the probe file 4913, the original renamed to a backup, a new file, no backup
        (docs / ".a.md.swp").write_bytes(b"\0" * 64)
        (docs / "4913").write_text("")
        (docs / "4913").unlink()
        (docs / "a.md").rename(docs / "a.md~")
        write(docs / "a.md", "vim\n")
        (docs / "a.md~").unlink()
        # JetBrains' safe write: a temporary file renamed over the original (itself renamed away first)
        saves: list[tuple[str, Callable[[], None]]] = [
            ("vim\n", lambda: None),
            ("jetbrains\n", lambda: _jetbrains(docs / "a.md", "jetbrains\n")),
            (
                "sed\n",
                lambda: subprocess.run(["sed", "-i", "s/jetbrains/sed/", str(docs / "a.md")], check=True),
            ),
            ("truncated\n", lambda: _truncate_then_write(docs / "a.md", "truncated\n")),
        ]
        for n, (text, save) in enumerate(saves, start=1):
            save()
            w.wait_for(lambda t=text: (project / "build/a.txt").read_text() == t, f"the {text!r} save built")
            assert w.next_build(n)[:2] == (2, 0)  # copy:a and the report
            w.quiet(1.0)  # one build per save: the editor's temporary and backup files are no change
        assert w.runs() == ["copy:a"] * 5
        (docs / ".a.md.swp").unlink()
        write(docs / "a.md", "truncated\n")  # the same content saved again: no build at all
        w.quiet(1.5)
        assert len(w.summaries()) == 5 and w.runs() == ["copy:a"] * 5
    finally:
        assert w.stop() == 130


def _jetbrains(path: Path, text: str) -> None:
    tmp, old = path.with_name(path.name + "___jb_tmp___"), path.with_name(path.name + "___jb_old___")
    write(tmp, text)
    os.replace(path, old)
    os.replace(tmp, path)
    old.unlink()


def _sed_i(script: str, path: Path) -> None:
    subprocess.run(["sed", "-i", script, str(path)], check=True)  # (a temporary file renamed over it)


def _truncate_then_write(path: Path, text: str) -> None:
    with path.open("r+") as f:
        # (no fsync between: on a busy disk it can outlast the watcher's quiet window, and a file left empty
        # that long is rightly a build of its own)
        f.truncate(0)
        f.flush()
        f.write(text)


def test_a_prompt_file_created_after_the_agentfile_names_it_is_built(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    """The Agentfile is saved first naming a prompt file that does not exist yet (an error; the last good
    Agentfile stays), then the prompt file is created. That file was not among what the last good Agentfile
    read, and it adds no task: watch used to reload the Agentfile without a word and build nothing, so the
    new prompt never ran until some other edit."""
    files = {"docs/a.md": "a\n", "p1.md": "FAKE: label=v1\nTranslate.\n"}
    project = _project(tmp_path, TRANSLATE.format(prompt="p1.md"), files)
    w = Watch(project, tmp_path / "unused.log")
    try:
        _first_build(w)
        write(project / "Agentfile", TRANSLATE.format(prompt="p2.md"))
        _wait(lambda: "keeping the last good Agentfile" in w.stderr(), "the error", w)
        assert "prompt file 'p2.md' not found" in w.stderr()
        # an input edited meanwhile is still built with the last good Agentfile
        write(project / "docs/a.md", "a, edited\n")
        _wait(lambda: _calls(fake_agents, "v1") == (2, 2), "the rebuild with the last good prompt", w)
        assert w.stderr().count("not found") == 1  # (the same error is not said again for that edit)
        write(project / "p2.md", "FAKE: label=v2\nTranslate again.\n")
        _wait(lambda: _calls(fake_agents, "v2") == (1, 1), "the build with the new prompt", w)
        _wait(lambda: "Translate again." in (project / "out/a.md").read_text(), "its output", w)
    finally:
        assert w.stop() == 130


def test_an_input_reached_through_a_link_in_the_project_is_watched(tmp_path: Path) -> None:
    """docs/a.md is a link to versions/v1.md. Saving v1.md changes what copy:a reads, and pointing the link at
    v2.md does too: watch saw neither (the kernel names the link's target, or the link resolved to its new
    target, never the path the task reads)."""
    project, log = _copies(tmp_path, {})
    (project / "docs").mkdir()
    (project / "versions").mkdir()
    write(project / "versions/v1.md", "one\n")
    write(project / "versions/v2.md", "two\n")
    os.symlink("../versions/v1.md", project / "docs/a.md")
    built = project / "build/a.txt"
    w = Watch(project, log)
    try:
        _first_build(w)
        assert built.read_text() == "one\n"
        write(project / "versions/v1.md", "one, edited\n")
        w.wait_for(lambda: built.read_text() == "one, edited\n", "the edit of the link's target to be built")
        os.symlink("../versions/v2.md", project / "docs/.a.md.new")
        os.replace(project / "docs/.a.md.new", project / "docs/a.md")
        w.wait_for(lambda: built.read_text() == "two\n", "the link pointed elsewhere to be built")
        write(project / "versions/v2.md", "two, edited\n")
        w.wait_for(lambda: built.read_text() == "two, edited\n", "the edit of its new target to be built")
        # (that build's summary line comes after its output: wait for it, or quiet() below counts it)
        w.wait_for(lambda: len(w.summaries()) == 4, "the summary of the fourth build")
        write(project / "versions/v1.md", "one, again\n")  # no longer read: no change
        w.quiet(1.0)
        assert w.runs() == ["copy:a"] * 4
    finally:
        assert w.stop() == 130
