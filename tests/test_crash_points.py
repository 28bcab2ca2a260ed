"""`kill -9` of agentmake at named moments of a build (see `crash_helpers`), and what the next commands say
and do: every output complete or the previous good one, no answer paid twice, and `status` and `-n` telling
what the next build will really do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FakeAgents
from crash_helpers import crash_at
from e2e_helpers import E2E

AGENTFILE = '''\
agent translate:
    inputs = docs/{name}.md
    outputs = build/{name}.md
    prompt = """
        FAKE: label={{ name }}
        Translate: {{ read(input) }}
        """

agent count:
    inputs = build/{name}.md
    outputs = build/{name}.count
    run = "wc -l < {input} > {output}"
'''


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _status(e2e: E2E) -> dict[str, dict[str, object]]:
    run = e2e.am("status", "--json")
    assert run.code == 0, run
    return {row["task"]: row for row in json.loads(run.out)}


def test_killed_between_record_and_rename_status_and_dry_run_say_the_result_will_be_put_in_place(
    e2e: E2E,
) -> None:
    e2e.write("Agentfile", AGENTFILE)
    e2e.write("docs/a.md", "one\n")
    assert e2e.am().code == 0
    e2e.write("docs/a.md", "one\ntwo\n")
    e2e.reset_calls()
    # killed as it renames the recorded answer onto build/a.md: recorded, cached, not in place
    crash_at(e2e, "os.rename", "build/a.md", "-j1")
    assert e2e.calls() == ["a"]
    assert e2e.read("build/a.md") == "ANSWER:\nTranslate: one\n"  # the previous good output

    rows = _status(e2e)
    # not "up to date" (the old answer is no hand edit to keep): the next build puts the new one in place
    assert rows["translate:a"]["state"] != "up to date", rows["translate:a"]
    assert rows["translate:a"]["action"] == "restore", rows["translate:a"]
    assert rows["count:a"]["state"] == "stale", rows["count:a"]
    dry = e2e.am("-n")
    assert "would restore translate:a" in dry.out, dry
    assert "count:a" in dry.out, dry

    run = e2e.am()
    assert run.code == 0, run
    assert e2e.calls() == ["a"]  # paid once
    assert e2e.read("build/a.md") == "ANSWER:\nTranslate: one\ntwo\n"
    assert e2e.read("build/a.count").strip() == "3"
    assert not (e2e.root / ".agentmake/edited").exists()  # the old answer was not taken for a hand edit
    assert all(row["state"] == "up to date" for row in _status(e2e).values())


def test_killed_before_the_rename_then_edited_the_build_says_where_it_saved_the_edit(e2e: E2E) -> None:
    """The output edited by hand after the kill: the build saves a copy before it puts the recorded result
    in place (`take_over`), and its summary says where (it went to the error log only), in clean's words."""
    e2e.write("Agentfile", AGENTFILE)
    e2e.write("docs/a.md", "one\n")
    assert e2e.am().code == 0
    e2e.write("docs/a.md", "one\ntwo\n")
    crash_at(e2e, "os.rename", "build/a.md", "-j1")
    e2e.write("build/a.md", "edited after the kill\n")

    run = e2e.am()
    assert run.code == 0, run
    assert e2e.read("build/a.md") == "ANSWER:\nTranslate: one\ntwo\n"
    [copy] = (e2e.root / ".agentmake/edited").rglob("a.md")
    assert copy.read_text() == "edited after the kill\n"
    said = f"build/a.md was edited by hand or not made by agentmake; saved a copy to {copy}"
    assert said in run.text.splitlines(), run
    assert run.text.index(said) < run.text.index("put in place the results a killed agentmake recorded"), run


PLAIN_PAIR = '''\
runner claude:
    command = "claude -p --output-format text"
    format = text

agent pair:
    inputs = docs/{name}.md
    outputs = build/{name}.x build/{name}.y
    prompt = """
        FAKE: label=pair-{{ name }} write=build/{{ name }}.x,build/{{ name }}.y
        Write both. {{ read(input) }}
        """
'''


def test_a_plain_text_multi_output_answer_killed_before_its_commit_is_not_paid_again(e2e: E2E) -> None:
    e2e.write("Agentfile", PLAIN_PAIR)
    e2e.write("docs/a.md", "one\n")
    assert e2e.am().code == 0
    e2e.write("docs/a.md", "two\n")
    e2e.reset_calls()
    # killed as the files the agent wrote (it exited 0, its attempt judged a success) move to staging
    crash_at(e2e, "os.rename", "build/a.x", "-j1")
    assert e2e.calls() == ["pair-a"]

    run = e2e.am()
    assert run.code == 0, run
    assert e2e.calls() == ["pair-a"], run  # the answer was salvaged, not asked for again
    assert run.summary.cached == 1, run
    for out in ("build/a.x", "build/a.y"):
        assert e2e.read(out).startswith(f"written by fake claude: {out}"), e2e.read(out)
    assert not list(e2e.root.rglob("*.agentmake-tmp-*"))
