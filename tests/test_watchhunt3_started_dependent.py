"""`agentmake watch`: an edit, during a build, of what a task already made in that build reads, while a task
that depends on it has already started (running, or failed once and waiting to retry). The upstream task is
stale: the next build runs it again, and then the dependent, on its new output. The dependent started on the
stale output was left to end: a retry waiting in its backoff was even started afterwards (a new paid call on
what was known stale), and a running one was paid to its end, the next build paying again. It is ended now
(cancelled, naming the stale task), as a task whose own input is edited is."""

from __future__ import annotations

from pathlib import Path

from conftest import FakeAgents
from test_watch import Watch, write

# copy holds until `go` exists when its input says "wait"; all, when one of its inputs says "hold"
AGENTFILE = """\
log = "{log}"

agent copy:
    inputs  = docs/{{name}}.md
    outputs = build/{{name}}.txt
    run     = "echo copy:{{name}} >> ${{log}} && {hold_copy}cp {{input}} {{output}}"

agent all:
    inputs  = build/*.txt
    outputs = all.txt
    run     = "echo all >> ${{log}} && {hold_all}cat {{inputs}} > {{output}} && echo all-end >> ${{log}}"
"""


def _project(tmp_path: Path, agentfile: str = AGENTFILE) -> tuple[Path, Path, Path]:
    project, log, go = tmp_path / "proj", tmp_path / "runs.log", tmp_path / "go"
    (project / "docs").mkdir(parents=True)
    wait = f"until [ -e {go} ]; do sleep 0.05; done"
    hold_copy = f"if grep -q wait {{input}}; then {wait}; fi && "
    hold_all = f"if grep -q hold {{inputs}}; then {wait}; fi && "
    (project / "Agentfile").write_text(agentfile.format(log=log, hold_copy=hold_copy, hold_all=hold_all))
    (project / "docs/a.md").write_text("alpha\n")
    (project / "docs/b.md").write_text("beta\n")
    return project, log, go


def test_a_running_dependent_of_a_task_gone_stale_is_cancelled(tmp_path: Path) -> None:
    project, log, go = _project(tmp_path)
    w = Watch(project, log)
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        write(project / "docs/a.md", "alpha hold\n")  # the build: copy:a done, all running until `go`
        w.wait_for(lambda: w.runs().count("all") == 2, "all to start")
        write(project / "docs/b.md", "beta 2\n")  # copy:b, up to date in this build, is stale now
        try:
            w.wait_for(
                lambda: "all  (cancelled: copy:b is stale: docs/b.md changed" in w.stderr(), "all ended", 5
            )
        finally:
            go.touch()
        w.wait_for(lambda: len(w.summaries()) == 3, "the build after the edit")
        w.quiet(1.0)
        # all finished twice: the first build's, and the one after both edits; never on the stale b.txt
        assert w.runs().count("all-end") == 2, w.runs()
        assert w.runs().count("copy:b") == 2
        assert (project / "all.txt").read_text() == "alpha hold\nbeta 2\n"
    finally:
        assert w.stop() == 130


LLM_ALL = """\
backoff = 60s

agent copy:
    inputs  = docs/{{name}}.md
    outputs = build/{{name}}.txt
    run     = "cp {{input}} {{output}}"

agent all:
    runner  = claude
    prompt  = prompts/all.md
    inputs  = build/*.txt
    outputs = all.md
"""


def test_a_dependent_waiting_to_retry_on_a_task_gone_stale_is_not_tried_again(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    """all failed once (rate limited: its retry waits at least 30 s); copy:b, up to date in the build, goes
    stale meanwhile: the retry would pay for a call on the stale build/b.txt."""
    project, log, _go = _project(tmp_path, LLM_ALL)
    prompt = project / "prompts/all.md"
    prompt.parent.mkdir()
    write(prompt, "FAKE: label=all\nJoin them.\n")
    w = Watch(project, log)
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        write(prompt, "FAKE: label=all fail=429 times=1\nJoin them.\n")
        w.wait_for(lambda: "retrying    all" in w.stderr(), "all to fail once")
        write(project / "docs/b.md", "beta 2\n")
        ended = "all  (cancelled: copy:b is stale: docs/b.md changed"
        # (well before the retry's 30 s: one that came first would be a fourth call, counted below)
        w.wait_for(lambda: ended in w.stderr(), "all ended", 20)
        w.wait_for(lambda: len(w.summaries()) == 3, "the build after the edit")
        w.quiet(1.0)
        calls = [r for r in fake_agents.log_lines() if r[0] == "start" and r[4] == "all"]
        assert len(calls) == 3, calls  # the first build's, the one rate limited, the one after the edit
        assert "beta 2" in (project / "build/b.txt").read_text()
    finally:
        assert w.stop() == 130
