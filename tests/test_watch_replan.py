"""`agentmake watch` as a real subprocess: an edit of the Agentfile (or of a prompt file) while a build runs.
No call may be paid on settings already replaced: the build starts nothing more, cancels each running task
whose key the edit changes (and only those), and the next build runs with the new Agentfile. The LLM agents
are the fake `claude` (tests/fake_agents); each call's label names the Agentfile version it was rendered
from, and the fake's log counts every paid call: started and finished."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import FakeAgents
from test_watch import Watch, write
from test_watch_cancels import _calls, _project, _said, _wait

from agentmake.graph import Graph, build_graph
from agentmake.graph.compare import same_plan
from agentmake.scheduler import BuildControl, control
from agentmake.syntax import load_agentfile

AGENTFILE = """\
jobs = 1
lang = "{lang}"
{extra}
agent tr:
    runner  = claude
    inputs  = docs/{{name}}.md
    outputs = out/{{name}}.md
    prompt  = "FAKE: sleep={sleep} label={{{{ name }}}}-{{{{ lang }}}}\\nTranslate into {{{{ lang }}}}."
"""
DOCS = {"docs/a.md": "a\n", "docs/b.md": "b\n", "docs/c.md": "c\n"}


def _agentfile(lang: str, sleep: float = 1.5, extra: str = "") -> str:
    return AGENTFILE.format(lang=lang, sleep=sleep, extra=extra)


@contextmanager
def _watching(project: Path) -> Iterator[Watch]:
    """`agentmake watch` running in `project`, ended with Ctrl-C (exit 130) when the block ends."""
    w = Watch(project, project.parent / "unused.log")
    try:
        yield w
    finally:
        assert w.stop() == 130


def _started(fake: FakeAgents) -> list[str]:
    return [r[4] for r in fake.log_lines() if r[0] == "start"]


def test_an_agentfile_edit_that_changes_the_key_cancels_the_running_task_and_starts_nothing_old(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    # (the first call outlasts any delay of the watcher: the edit cancels it, so its length costs nothing)
    project = _project(tmp_path, _agentfile("French", sleep=30), DOCS)
    with _watching(project) as w:
        _wait(lambda: len(_started(fake_agents)) == 1, "the first call to start", w)
        write(project / "Agentfile", _agentfile("German"))
        _wait(lambda: len(w.summaries()) >= 2, "the build on the new Agentfile", w, timeout=40)
        w.quiet(1.0)
        first = _started(fake_agents)[0]
        assert first.endswith("-French")
        assert _calls(fake_agents, first) == (1, 0)  # cancelled as soon as the edit came
        assert sorted(_started(fake_agents)[1:]) == ["a-German", "b-German", "c-German"]  # nothing old
        assert all(_calls(fake_agents, f"{n}-German") == (1, 1) for n in "abc")
        assert "tr:a  (cancelled: Agentfile changed)" in _said(w)
        assert "tr:b  (Agentfile changed: the next build runs it)" in _said(w)
        assert all("German" in (project / f"out/{n}.md").read_text() for n in "abc")


def test_an_agentfile_edit_that_leaves_every_key_as_it_was_cancels_nothing(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    project = _project(tmp_path, _agentfile("French"), DOCS)
    with _watching(project) as w:
        _wait(lambda: len(_started(fake_agents)) == 1, "the first call to start", w)
        # a comment and blank lines: the same plan, the build goes on (the next task starts in it)
        write(project / "Agentfile", "# translations\n\n" + _agentfile("French"))
        _wait(lambda: len(_started(fake_agents)) == 2, "the second call to start", w)
        assert w.summaries() == []  # in the same build
        # a variable no prompt uses: another plan, so nothing more starts, but no key changed: the running
        # call goes on, and the next build starts the last one
        write(project / "Agentfile", _agentfile("French", extra='unused = "x"\n'))
        _wait(lambda: len(w.summaries()) == 2, "the build on the edited Agentfile", w, 40)
        w.quiet(1.0)
        assert sorted(_started(fake_agents)) == ["a-French", "b-French", "c-French"]  # each paid once
        assert all(_calls(fake_agents, f"{n}-French") == (1, 1) for n in "abc")
        assert [s[0] for s in w.summaries()] == [2, 1]
        assert "cancelled" not in _said(w)


def test_a_prompt_file_edit_during_a_build_starts_no_task_on_the_old_prompt(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    agentfile = _agentfile("French").replace(
        'prompt  = "FAKE: sleep=1.5 label={{ name }}-{{ lang }}\\nTranslate into {{ lang }}."',
        "prompt = p.md",
    )
    assert "p.md" in agentfile
    # (the first call outlasts any delay of the watcher: the edit cancels it, so its length costs nothing)
    project = _project(
        tmp_path, agentfile, {**DOCS, "p.md": "FAKE: sleep=30 label={{ name }}-v1\nTranslate.\n"}
    )
    with _watching(project) as w:
        _wait(lambda: len(_started(fake_agents)) == 1, "the first call to start", w)
        write(project / "p.md", "FAKE: sleep=0.3 label={{ name }}-v2\nTranslate, please.\n")
        _wait(
            lambda: all(_calls(fake_agents, f"{n}-v2")[1] == 1 for n in "abc") and len(w.summaries()) == 2,
            "the v2 calls and their build's summary",
            w,
            40,
        )
        w.quiet(1.0)
        assert [s for s in _started(fake_agents) if s.endswith("-v1")] == [_started(fake_agents)[0]]
        assert all("Translate, please." in (project / f"out/{n}.md").read_text() for n in "abc")
        assert all(_calls(fake_agents, f"{n}-v2") == (1, 1) for n in "abc")


def _prompt_file_project(root: Path, prompt: str, jobs: int = 1) -> Path:
    agentfile = _agentfile("French").replace("jobs = 1", f"jobs = {jobs}")
    agentfile = agentfile.replace(
        'prompt  = "FAKE: sleep=1.5 label={{ name }}-{{ lang }}\\nTranslate into {{ lang }}."',
        "prompt = p.md",
    )
    assert "p.md" in agentfile
    return _project(root, agentfile, {**DOCS, "p.md": prompt})


def test_a_prompt_file_edit_cancels_only_the_calls_whose_prompt_it_changes(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    # one template, three prompts: the edit changes c's alone (and adds a comment that renders to nothing)
    prompt = "FAKE: sleep=2 label={{ name }}\nTranslate.{% if name == 'c' %} Be brief.{% endif %}\n"
    project = _prompt_file_project(tmp_path, prompt, jobs=2)
    with _watching(project) as w:
        _wait(lambda: len(_started(fake_agents)) == 2, "two calls to start", w)
        running = _started(fake_agents)
        edited = prompt.replace("Be brief.", "Be very brief.{# reviewed #}")
        write(project / "p.md", edited)
        _wait(lambda: len(w.summaries()) >= 2 and _calls(fake_agents, "c")[1] >= 1, "every call", w, 40)
        w.quiet(1.0)
        assert all(_calls(fake_agents, n) == (1, 1) for n in running)  # their prompts are as they were
        assert "cancelled" not in _said(w)
        assert "Be very brief." in (project / "out/c.md").read_text()


def test_renaming_the_agent_of_a_running_call_keeps_the_call(tmp_path: Path, fake_agents: FakeAgents) -> None:
    project = _project(tmp_path, _agentfile("French"), DOCS)
    with _watching(project) as w:
        _wait(lambda: len(_started(fake_agents)) == 1, "the first call to start", w)
        first = _started(fake_agents)[0]
        write(project / "Agentfile", _agentfile("French").replace("agent tr:", "agent translate:"))
        _wait(lambda: len(w.summaries()) >= 2, "the build on the renamed agent", w, 40)
        w.quiet(1.0)
        # the key holds no agent name: the call's result is what the renamed task wants (restored from cache)
        assert _calls(fake_agents, first) == (1, 1)
        assert sorted(_started(fake_agents)) == ["a-French", "b-French", "c-French"]
        assert "cancelled" not in _said(w)


def test_a_task_waiting_to_retry_when_the_plan_changes_is_left_to_the_next_build_not_failed(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    agentfile = _agentfile("French").replace("FAKE: sleep=1.5 label=", "FAKE: fail=429 times=1 label=")
    assert "fail=429" in agentfile
    project = _project(tmp_path, agentfile + "backoff = 3\n", DOCS)
    with _watching(project) as w:
        _wait(lambda: "retrying" in w.stderr(), "a rate-limited call to wait for its retry", w)
        write(project / "Agentfile", agentfile.replace("jobs = 1", "jobs = 3") + "backoff = 3\n")
        _wait(
            lambda: len(w.summaries()) >= 2 and w.summaries()[-1][0] == 3, "the build on the new plan", w, 60
        )
        w.quiet(1.0)
        said = _said(w)
        assert "(cancelled: Agentfile changed)" in said and "failed      tr:" not in said
        assert w.summaries()[0][3] == 0  # (ran, cached, up to date, failed): nothing failed


def test_an_agentfile_that_does_not_load_starts_nothing_more_until_it_does(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    # (no line says when the build has been told of the edit: the first call, which is kept, lasts long
    # enough for a loaded machine's watcher to tell it before it ends; the later ones are short)
    project = _project(tmp_path, _agentfile("French", sleep=4), DOCS)
    with _watching(project) as w:
        _wait(lambda: len(_started(fake_agents)) == 1, "the first call to start", w)
        write(project / "Agentfile", _agentfile("French", sleep=4) + "\nagent broken\n")  # an edit under way
        _wait(lambda: "keeping the last good Agentfile" in w.stderr(), "the first call to end", w)
        w.quiet(1.0)
        assert len(_started(fake_agents)) == 1  # nothing started on the old plan meanwhile
        assert _calls(fake_agents, _started(fake_agents)[0]) == (1, 1)  # and the running call was kept
        write(project / "Agentfile", _agentfile("German", sleep=0.5))
        _wait(
            lambda: (
                all(_calls(fake_agents, f"{n}-German")[1] == 1 for n in "abc") and len(w.summaries()) == 2
            ),
            "the build on the fixed plan",
            w,
            40,
        )
        w.quiet(1.0)
        assert sorted(_started(fake_agents)[1:]) == ["a-German", "b-German", "c-German"]


def _graph(root: Path, agentfile: str, files: dict[str, str]) -> Graph:
    for rel, text in {"Agentfile": agentfile, **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return build_graph(load_agentfile(root / "Agentfile", {}))


def test_same_plan_ignores_where_things_are_written_and_nothing_else(tmp_path: Path) -> None:
    files = {**DOCS, "p.md": "Translate {{ read(input) }}.\n"}
    base = (
        _agentfile("French")
        + '\nagent sh:\n    inputs = docs/a.md\n    outputs = out/sh.txt\n    run = "cp {input} {output}"\n'
    )
    old = _graph(tmp_path, base, files)
    moved = "# a comment\n\n" + base.replace("jobs = 1\n", "jobs = 1\n\n\n")
    assert same_plan(old, _graph(tmp_path, moved, files))
    changed = {
        "a variable": base + 'unused = "x"\n',
        "the model": base.replace("runner  = claude", "runner  = claude\n    model = opus"),
        "the inline prompt": base.replace("Translate into", "Translate to"),
        "a shell command": base.replace("cp {input}", "cp -p {input}"),
        "jobs": base.replace("jobs = 1", "jobs = 2"),
        "a prompt file": base.replace('prompt  = "FAKE', 'prompt = p.md\n    description = "FAKE'),
    }
    for what, text in changed.items():
        assert not same_plan(old, _graph(tmp_path, text, files)), what
    assert not same_plan(old, _graph(tmp_path, base, {**files, "docs/d.md": "d\n"})), "a new document"
    with_file = _graph(tmp_path, changed["a prompt file"], files)
    assert not same_plan(with_file, _graph(tmp_path, changed["a prompt file"], {**files, "p.md": "Other.\n"}))


def test_a_hold_lasts_until_a_replan_or_its_limit_and_a_new_plan_is_not_lost(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    c = BuildControl()
    assert not c.held() and c.take_replan() is None
    c.hold()
    assert c.held()
    c.replan(None)  # the same plan: go on
    assert not c.held() and c.take_replan() == (None, "")
    graph = _graph(tmp_path, _agentfile("French"), DOCS)
    c.replan(graph, "Agentfile changed")
    c.replan(None)  # a later save that plans the same as the build: the earlier new plan still stands
    assert c.take_replan() == (graph, "Agentfile changed") and c.take_replan() is None
    c.hold()
    monkeypatch.setattr(control, "HOLD_LIMIT", 0.0)  # no replan ever came (the watcher failed meanwhile)
    time.sleep(0.01)
    assert not c.held()


def test_an_agentfile_save_lost_with_a_watcher_failure_still_stops_the_old_plan(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    # watchfiles fails on a file name that is not UTF-8 and drops the batch it had, the save included
    docs = {f"docs/d{i}.md": f"{i}\n" for i in range(6)}
    project = _project(tmp_path, _agentfile("French", sleep=1.0), docs)
    with _watching(project) as w:
        _wait(lambda: len(_started(fake_agents)) == 1, "the first call to start", w)
        write(project / "Agentfile", _agentfile("German", sleep=1.0))
        bad = os.fsencode(project) + b"/bad\xff"
        with open(bad, "wb") as fh:
            fh.write(b"x")
        time.sleep(0.3)
        os.unlink(bad)
        _wait(
            lambda: sum(s.endswith("German") for s in _started(fake_agents)) == 6, "the German calls", w, 60
        )
        assert "the file watcher failed" in w.stderr()
        assert [s for s in _started(fake_agents) if s.endswith("French")] == [_started(fake_agents)[0]]
