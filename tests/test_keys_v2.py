"""What a task's key leaves out since key format 2 (`agentmake.plan.keys`), each through a real build: what
never reaches the agent (a prompt file's name, a model its runner cannot pass, the order of outputs the prompt
does not use) reruns nothing, and a changed `check` re-checks the output in place before paying for a call."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def mtimes(e2e: E2E, *paths: str) -> dict[str, int]:
    return {p: (e2e.root / p).stat().st_mtime_ns for p in paths}


def dry(e2e: E2E) -> str:
    run = e2e.am("-n")
    assert run.code == 0, run
    return run.out


def nothing_to_do(out: str) -> bool:
    return "agentmake: 0 to run, " in out and "to restore" not in out and "may run" not in out


def parts_of(e2e: E2E, task_id: str) -> dict:
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        (text,) = conn.execute("SELECT parts FROM tasks WHERE task_id = ?", (task_id,)).fetchone()
    return json.loads(text)


ONE = """\
agent one:
    inputs = src.md
    outputs = out/a.md
    prompt = {prompt}
{extra}"""


INLINE = '"""\n        FAKE: label=one\n        {{ read(input) }}\n        """'


def test_a_prompt_file_renamed_with_the_same_text_reruns_nothing(e2e: E2E) -> None:
    e2e.write("src.md", "hello\n")
    e2e.write("p.md", "FAKE: label=one\n{{ read(input) }}\n")
    e2e.write("Agentfile", ONE.format(prompt="p.md", extra=""))
    assert e2e.am().code == 0 and e2e.calls() == ["one"]
    before = mtimes(e2e, "out/a.md")
    (e2e.root / "p.md").rename(e2e.root / "q.md")
    e2e.write("Agentfile", ONE.format(prompt="q.md", extra=""))
    assert nothing_to_do(dry(e2e))
    run = e2e.am()
    assert run.code == 0 and run.summary.up_to_date == 1, run
    assert e2e.calls() == ["one"] and mtimes(e2e, "out/a.md") == before
    # the same text inline: what the agent is sent is the same too
    e2e.write("Agentfile", ONE.format(prompt=INLINE, extra=""))
    assert e2e.am().code == 0 and e2e.calls() == ["one"]
    # an edit of the renamed file's text still reruns, and says which file
    e2e.write("q.md", "FAKE: label=one\nNow: {{ read(input) }}\n")
    e2e.write("Agentfile", ONE.format(prompt="q.md", extra=""))
    assert "would run one: prompt changed (inline) → q.md" in dry(e2e) or "q.md" in dry(e2e)
    assert e2e.am().code == 0 and e2e.calls() == ["one", "one"]


CHECKED = ONE.format(prompt=INLINE, extra="    check = {check}\n")


def test_a_changed_check_the_output_passes_reruns_nothing(e2e: E2E) -> None:
    e2e.write("src.md", "hello\n")
    e2e.write("Agentfile", CHECKED.replace("{check}", '"test -s {output}"'))
    assert e2e.am().code == 0 and e2e.calls() == ["one"]
    before = mtimes(e2e, "out/a.md")
    e2e.write("Agentfile", CHECKED.replace("{check}", '"grep -q hello {output}"'))
    # a dry run and explain run no command: they say what the build will do first
    out = dry(e2e)
    assert "may run one: check changed test -s {output} → grep -q hello {output}" in out, out
    assert "a build checks the outputs in place first (if its outputs fail the new check" in out, out
    assert "agentmake: 0 to run, 1 may run, 0 up to date" in out, out
    explained = e2e.am("explain", "one")
    assert "check changed" in explained.out and "a build checks the outputs in place" in explained.out
    assert e2e.calls() == ["one"] and mtimes(e2e, "out/a.md") == before
    run = e2e.am()
    assert run.code == 0 and run.summary.up_to_date == 1 and run.summary.ran == 0, run
    assert e2e.calls() == ["one"] and mtimes(e2e, "out/a.md") == before
    # the record follows the new check: the next build decides it from the record alone
    assert parts_of(e2e, "one")["check"]["command"] == "grep -q hello {output}"
    assert nothing_to_do(dry(e2e))
    # back to the first check: the output passes it too, and nothing is paid for
    e2e.write("Agentfile", CHECKED.replace("{check}", '"test -s {output}"'))
    assert e2e.am().code == 0 and e2e.calls() == ["one"] and mtimes(e2e, "out/a.md") == before


def test_a_changed_check_the_output_fails_reruns_the_agent_and_says_why(e2e: E2E) -> None:
    e2e.write("src.md", "hello\n")
    e2e.write("Agentfile", CHECKED.replace("{check}", '"test -s {output}"'))
    assert e2e.am().code == 0 and e2e.calls() == ["one"]
    then = time.time() - 3600  # the output is older than the Agentfile edit below, a new answer is not
    os.utime(e2e.root / "out/a.md", (then, then))
    e2e.write("Agentfile", CHECKED.replace("{check}", '"test {output} -nt Agentfile"'))
    out = dry(e2e)
    assert "may run one: check changed" in out and "1 may run" in out, out
    run = e2e.am("-v")
    assert run.code == 0 and run.summary.ran == 1, run
    assert e2e.calls() == ["one", "one"]
    assert nothing_to_do(dry(e2e))


def test_a_dry_run_runs_a_changed_json_check_itself(e2e: E2E) -> None:
    # `check = json` runs no command: a dry run and explain apply it to the outputs in place and say which
    e2e.write("src.md", "hello\n")
    e2e.write("Agentfile", CHECKED.replace("{check}", '"test -s {output}"'))
    assert e2e.am().code == 0 and e2e.calls() == ["one"]
    e2e.write("Agentfile", CHECKED.replace("{check}", "json"))
    out = dry(e2e)
    assert "would run one: check changed test -s {output} → json; the output fails it" in out, out
    assert "agentmake: 1 to run, 0 up to date" in out, out
    assert e2e.am().code == 1 and e2e.calls() == ["one", "one", "one", "one"]  # (an answer is no JSON)


MULTI = """\
agent pair:
    inputs = src.md
    outputs = {outputs}
    prompt = \"\"\"
        FAKE: label=pair write=out/a.md,out/b.md
        {extra}{{{{ read(input) }}}}
        \"\"\"
"""


def test_reordering_outputs_the_prompt_does_not_use_reruns_nothing(e2e: E2E) -> None:
    e2e.write("src.md", "hello\n")
    e2e.write("Agentfile", MULTI.format(outputs="out/a.md out/b.md", extra=""))
    run = e2e.am()
    assert run.code == 0 and e2e.calls() == ["pair"], run
    before = mtimes(e2e, "out/a.md", "out/b.md")
    e2e.write("Agentfile", MULTI.format(outputs="out/b.md out/a.md", extra=""))
    assert nothing_to_do(dry(e2e))
    run = e2e.am()
    assert run.code == 0 and run.summary.up_to_date == 1, run
    assert e2e.calls() == ["pair"] and mtimes(e2e, "out/a.md", "out/b.md") == before
    # a prompt that names them in order is sent another text: that reruns
    e2e.write("Agentfile", MULTI.format(outputs="out/a.md out/b.md", extra="Write {{ outputs }}\n        "))
    assert e2e.am().code == 0 and e2e.calls() == ["pair", "pair"]
    e2e.write("Agentfile", MULTI.format(outputs="out/b.md out/a.md", extra="Write {{ outputs }}\n        "))
    out = dry(e2e)
    assert "would run pair: prompt changed" in out or "would run pair: inline prompt changed" in out, out


MODEL = """\
runner plain:
    command = "llm"

agent one:
    runner = plain
    model = {model}
    inputs = src.md
    outputs = out/a.md
    prompt = \"\"\"
        FAKE: label=one
        {{{{ read(input) }}}}
        \"\"\"
"""


def test_a_model_its_runner_cannot_pass_reruns_nothing(e2e: E2E) -> None:
    e2e.write("src.md", "hello\n")
    e2e.write("Agentfile", MODEL.format(model="small"))
    assert e2e.am().code == 0 and e2e.calls() == ["one"]
    before = mtimes(e2e, "out/a.md")
    e2e.write("Agentfile", MODEL.format(model="big"))
    assert nothing_to_do(dry(e2e))
    run = e2e.am()
    assert run.code == 0 and run.summary.up_to_date == 1, run
    assert e2e.calls() == ["one"] and mtimes(e2e, "out/a.md") == before
    # given a flag to pass it with, the model reaches the command line: that reruns
    e2e.write("Agentfile", MODEL.format(model="big").replace('"llm"\n', '"llm"\n    model_flag = -m\n'))
    out = dry(e2e)
    assert "would run one: model changed (default) → big" in out, out


FANIN = """\
agent {name}:
    inputs = docs/{{n}}.md
    outputs = build/{{n}}.md
    run = "cp {{input}} {{output}}"

report summary:
    inputs = build/*.md
    output = SUMMARY.md
"""


def test_a_run_summary_is_keyed_by_a_digest_of_the_tasks_it_covers(e2e: E2E) -> None:
    for i in range(40):
        e2e.write(f"docs/d{i:02}.md", f"doc {i}\n")
    e2e.write("Agentfile", FANIN.format(name="copy"))
    assert e2e.am().code == 0
    parts = parts_of(e2e, "summary")
    # the key holds a digest; the record keeps the task ids alone (what explain names), not their dependencies
    assert isinstance(parts["summarised"], str) and len(parts["summarised"]) == 32, parts["summarised"]
    assert parts["_summarised"] == [f"copy:d{i:02}" for i in range(40)]
    assert len(json.dumps(parts)) < 40 * 200
    # renaming the agent still renders the summary again, and explain says why
    e2e.write("Agentfile", FANIN.format(name="dup"))
    explained = e2e.am("explain", "summary")
    assert "the tasks its run summary covers changed" in explained.out, explained
    assert "copy:d00" in explained.out and "dup:d00" in explained.out
    run = e2e.am()
    assert run.code == 0 and "dup:d00" in e2e.read("SUMMARY.md"), run
    assert nothing_to_do(dry(e2e))
