"""`agentmake watch`: a task failed, then an edit brought back what it was last built from. Nothing has to
run, but the last word on screen was "failed": the build that finds it up to date again is held and says so
(no call), instead of printing nothing."""

from __future__ import annotations

from pathlib import Path

from test_watch import Watch, write

AGENTFILE = """\
retries = 0
log = "{log}"

agent check:
    inputs  = in.txt
    outputs = out.txt
    run     = "echo check >> ${{log}} && grep -q good {{input}} && cp {{input}} {{output}}"

agent after:
    inputs  = out.txt
    outputs = after.txt
    run     = "echo after >> ${{log}} && cp {{input}} {{output}}"
"""


def test_an_edit_undone_after_a_failure_says_the_task_is_up_to_date_again(tmp_path: Path) -> None:
    project, log = tmp_path / "proj", tmp_path / "runs.log"
    project.mkdir()
    (project / "Agentfile").write_text(AGENTFILE.format(log=log))
    (project / "in.txt").write_text("good\n")
    w = Watch(project, log)
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        write(project / "in.txt", "bad\n")
        assert w.next_build(1)[:4] == (0, 0, 0, 1)  # check failed, after not run
        write(project / "in.txt", "good\n")  # what out.txt was made from: nothing to run
        w.wait_for(lambda: len(w.summaries()) == 3, "a build saying the task is up to date again")
        # said by its summary line, as every build with nothing but tasks up to date is (in a pipe, without
        # -v, no task up to date has a line of its own)
        assert w.summaries()[2][:4] == (0, 0, 2, 0)
        assert w.runs() == ["check", "after", "check"]  # no call for it
        w.quiet(1.0)
        write(project / "in.txt", "good\n")  # a save of the same content, the task no longer held: quiet
        w.quiet(1.5)
    finally:
        assert w.stop() == 130
