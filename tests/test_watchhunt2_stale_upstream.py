"""`agentmake watch`: an edit, during a build, of what a task already made (or found up to date) in that
build reads. The task is stale now, and the next build runs it again, then what depends on it: a dependent
that has not started must not be started on the stale output (it was paid for, then run again by the next
build: two calls for one edit). Watch cancelled only running readers of the edited file; a finished one's
dependents went on to start."""

from __future__ import annotations

from pathlib import Path

from test_watch import Watch, write

# copy blocks until the file `go` exists when its input says "wait", so an edit lands while it runs
AGENTFILE = """\
log = "{log}"

agent copy:
    inputs  = docs/{{name}}.md
    outputs = build/{{name}}.txt
    run     = "echo copy:{{name}} >> ${{log}} && {hold}cp {{input}} {{output}}"

agent all:
    inputs  = build/*.txt
    outputs = all.txt
    run     = "echo all >> ${{log}} && cat {{inputs}} > {{output}}"
"""


def _project(tmp_path: Path, docs: dict[str, str]) -> tuple[Path, Path, Path]:
    project, log, go = tmp_path / "proj", tmp_path / "runs.log", tmp_path / "go"
    (project / "docs").mkdir(parents=True)
    hold = f"if grep -q wait {{input}}; then until [ -e {go} ]; do sleep 0.05; done; fi && "
    (project / "Agentfile").write_text(AGENTFILE.format(log=log, hold=hold))
    for name, text in docs.items():
        (project / "docs" / f"{name}.md").write_text(text)
    return project, log, go


def _held_back(w: Watch) -> bool:
    return "all  (copy:b is stale: docs/b.md changed" in w.stderr()


def test_an_input_of_a_task_up_to_date_in_the_build_edited_holds_back_its_dependents(tmp_path: Path) -> None:
    project, log, go = _project(tmp_path, {"a": "alpha\n", "b": "beta\n"})
    w = Watch(project, log)
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        assert w.runs().count("all") == 1
        write(project / "docs/a.md", "alpha wait\n")  # the build: copy:b up to date, copy:a running
        w.wait_for(lambda: w.runs().count("copy:a") == 2, "copy:a to start")
        write(project / "docs/b.md", "beta 2\n")  # copy:b, up to date in this build, is stale now
        try:
            w.wait_for(lambda: _held_back(w), "all to be held back")
        finally:
            go.touch()
        w.wait_for(lambda: len(w.summaries()) == 3, "the build after the edit")
        w.quiet(1.0)
        # all ran once for the first build and once after both edits: never on the stale build/b.txt
        assert w.runs().count("all") == 2, w.runs()
        assert w.runs().count("copy:b") == 2
        assert (project / "all.txt").read_text() == "alpha wait\nbeta 2\n"
    finally:
        assert w.stop() == 130


def test_an_input_of_a_task_done_in_the_build_edited_holds_back_its_dependents(tmp_path: Path) -> None:
    project, log, go = _project(tmp_path, {"a": "alpha\n", "b": "beta\n"})
    w = Watch(project, log)
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        write(project / "docs/a.md", "alpha wait\n")
        write(project / "docs/b.md", "beta 2\n")  # the build: copy:b done at once, copy:a running
        built = project / "build/b.txt"
        w.wait_for(lambda: built.read_text() == "beta 2\n" and w.runs().count("copy:a") == 2, "copy:b done")
        write(project / "docs/b.md", "beta 3\n")  # what copy:b was made from, edited again
        try:
            w.wait_for(lambda: _held_back(w), "all to be held back")
        finally:
            go.touch()
        w.wait_for(lambda: built.read_text() == "beta 3\n", "copy:b to run again")
        # (all.txt is written before the build's summary line: wait for the line, not the file)
        w.wait_for(lambda: len(w.summaries()) == 3, "the build after the edit")
        w.quiet(1.0)
        assert (project / "all.txt").read_text() == "alpha wait\nbeta 3\n"
        assert w.runs().count("all") == 2, w.runs()
        assert w.runs().count("copy:b") == 3
    finally:
        assert w.stop() == 130


# all, too, blocks until `go` exists when an input says "hold" (copy does not), and logs its end
ALL_HOLDS = """\
agent all:
    inputs  = build/*.txt
    outputs = all.txt
    run     = "echo all >> ${{log}} && {hold}cat {{inputs}} > {{output}} && echo all-end >> ${{log}}"
"""


def _fan_in_project(tmp_path: Path, docs: dict[str, str]) -> tuple[Path, Path, Path]:
    project, log, go = _project(tmp_path, docs)
    hold = f"if grep -q hold {{inputs}}; then until [ -e {go} ]; do sleep 0.05; done; fi && "
    agentfile = project / "Agentfile"
    text = agentfile.read_text()
    agentfile.write_text(text[: text.index("agent all:")] + ALL_HOLDS.format(log=log, hold=hold))
    return project, log, go


# a second fan-in, over the documents themselves, held as copy is: the new plan changes its key, so it is
# cancelled (and says so) the moment the watcher tells the build of a new document
COUNT = """
agent count:
    inputs  = docs/*.md
    outputs = count.txt
    run     = "{hold}cat {{inputs}} > {{output}}"
"""


def test_a_file_added_to_a_fan_out_during_a_build_does_not_start_the_fan_in_on_the_old_plan(
    tmp_path: Path,
) -> None:
    """A new docs/c.md adds copy:c, and with it an input of all: all, not started yet, was paid for without
    it, then run again by the next build."""
    project, log, go = _project(tmp_path, {"a": "alpha\n", "b": "beta\n"})
    agentfile = project / "Agentfile"
    hold = f"if grep -q wait {{inputs}}; then until [ -e {go} ]; do sleep 0.05; done; fi && "
    agentfile.write_text(agentfile.read_text() + COUNT.format(hold=hold))
    w = Watch(project, log)
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        write(project / "docs/a.md", "alpha wait\n")  # the build: copy:a and count running, all waiting
        w.wait_for(lambda: w.runs().count("copy:a") == 2, "copy:a to start")
        write(project / "docs/c.md", "gamma\n")
        try:  # (copy:a ends only once the build knows of docs/c.md: were it told late, all would start)
            w.wait_for(lambda: "count  (cancelled: docs/c.md added)" in w.stderr(), "the build to be told")
        finally:
            go.touch()
        w.wait_for(lambda: len(w.summaries()) == 3, "the build with c")
        w.quiet(1.0)
        assert "all  (docs/c.md added: the next build runs it)" in w.stderr()
        assert w.runs().count("all") == 2, w.runs()
        assert w.runs().count("copy:c") == 1 and w.runs().count("copy:a") == 2
        assert (project / "all.txt").read_text() == "alpha wait\nbeta\ngamma\n"
    finally:
        assert w.stop() == 130


def test_a_file_added_to_a_fan_out_during_a_build_ends_the_fan_in_running_on_the_old_plan(
    tmp_path: Path,
) -> None:
    project, log, go = _fan_in_project(tmp_path, {"a": "alpha\n", "b": "beta\n"})
    w = Watch(project, log)
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        write(project / "docs/a.md", "alpha hold\n")  # the build: copy:a done, all running until `go`
        w.wait_for(lambda: w.runs().count("all") == 2, "all to start")
        write(project / "docs/c.md", "gamma\n")
        try:
            w.wait_for(lambda: "all  (cancelled: docs/c.md added)" in w.stderr(), "all ended")
        finally:
            go.touch()
        w.wait_for(lambda: len(w.summaries()) == 3, "the build with c")
        w.quiet(1.0)
        assert w.runs().count("all-end") == 2, w.runs()  # the first build's, and the one with c
        assert (project / "all.txt").read_text() == "alpha hold\nbeta\ngamma\n"
    finally:
        assert w.stop() == 130


def test_an_output_of_a_task_up_to_date_in_the_build_deleted_holds_back_its_dependents(
    tmp_path: Path,
) -> None:
    """build/b.txt deleted by hand while the build runs, copy:b found up to date in it: all started without
    it (failed, and was tried again twice); it is held back, and the next build restores build/b.txt from
    the cache (no run of copy:b) and runs all once."""
    project, log, go = _project(tmp_path, {"a": "alpha\n", "b": "beta\n"})
    w = Watch(project, log)
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        write(project / "docs/a.md", "alpha wait\n")  # the build: copy:b up to date, copy:a running
        w.wait_for(lambda: w.runs().count("copy:a") == 2, "copy:a to start")
        (project / "build/b.txt").unlink()
        try:
            w.wait_for(lambda: "all  (copy:b is stale: build/b.txt gone" in w.stderr(), "all held")
        finally:
            go.touch()
        w.wait_for(lambda: len(w.summaries()) == 3, "the build after the deletion")
        w.quiet(1.0)
        assert w.runs().count("all") == 2, w.runs()
        assert w.runs().count("copy:b") == 1  # restored from the cache
        assert (project / "all.txt").read_text() == "alpha wait\nbeta\n"
        assert "retrying" not in w.stderr()
    finally:
        assert w.stop() == 130
