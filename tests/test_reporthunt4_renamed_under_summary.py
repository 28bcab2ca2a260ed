"""A merge report that reads a summary report (a report whose document holds the run summary) is not paid
for again when an agent upstream is renamed (its prompt, inputs and outputs the same): the summary report is
read by a paid task, so it is kept as its inputs' content and its graph's shape make it, not as the agents
are named (`keyparts.summary_shape`). Real builds through the CLI with the fake claude."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = '''
agent {name}:
    run = "tr a-z A-Z < {{input}} > {{output}}"
    inputs = src/{{n}}.txt
    outputs = build/{{n}}.txt

report inner:
    inputs = build/*.txt
    output = reports/inner.md

report outer:
    inputs = reports/inner.md
    output = reports/outer.md
    summary = false

report merged:
    inputs = {read}
    output = reports/merged.md
    merge = """
        FAKE: label=merge
        Merge {{{{ read(input) }}}}
        """
'''


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    project = E2E(tmp_path / "proj", fake_agents)
    project.write("src/a.txt", "alpha\n")
    project.write("src/b.txt", "beta\n")
    return project


@pytest.mark.parametrize("read", ["reports/inner.md", "reports/outer.md"])
def test_renaming_an_agent_upstream_of_a_summary_report_pays_for_no_merge(e2e: E2E, read: str) -> None:
    e2e.write("Agentfile", AGENTFILE.format(name="up", read=read))
    first = e2e.am("merged")
    assert first.code == 0, first
    assert e2e.calls() == ["merge"]
    e2e.write("Agentfile", AGENTFILE.format(name="upper", read=read))
    dry = e2e.am("-n", "merged")
    assert dry.code == 0, dry
    assert "0 to run" in dry.out, dry
    build = e2e.am("-v", "merged")  # (-v: a line for each task up to date)
    assert build.code == 0, build
    assert build.summary.ran == 0 and build.summary.cached == 0, build
    assert e2e.calls() == ["merge"], build  # not paid again
    assert "merged" in build.with_state("up-to-date"), build


def test_a_new_dependency_among_the_summarised_tasks_still_renders_the_summary_report(e2e: E2E) -> None:
    """The shape of the graph the summary draws is still keyed: a task added upstream renders it again."""
    e2e.write("Agentfile", AGENTFILE.format(name="up", read="reports/inner.md"))
    assert e2e.am("merged").code == 0
    e2e.write("src/c.txt", "gamma\n")
    build = e2e.am("merged")
    assert build.code == 0, build
    assert e2e.calls() == ["merge", "merge"], build
    assert "up:c" in e2e.read("reports/inner.md") or "build/c.txt" in e2e.read("reports/inner.md")


def test_a_record_from_before_the_shape_was_keyed_is_kept(e2e: E2E) -> None:
    """A summary report's record an agentmake that keyed the summarised tasks by name wrote (no "_shape"
    memo, "summarised" their `summary_digest`) is of the same result when the tasks are the same: after the
    upgrade the report is up to date, and the merge report that reads it is not paid for again."""
    from agentmake.plan.keys import key_of, summary_digest

    e2e.write("Agentfile", AGENTFILE.format(name="up", read="reports/inner.md"))
    assert e2e.am("merged").code == 0
    named = {"up:a": [], "up:b": []}
    db = sqlite3.connect(e2e.root / ".agentmake" / "state.db")
    with db:
        (raw, key) = db.execute("SELECT parts, key FROM tasks WHERE task_id = 'inner'").fetchone()
        parts = json.loads(raw)
        assert parts.pop("_shape") == 1 and parts["_summarised"] == list(named)
        parts["summarised"] = summary_digest(named)
        old = key_of(parts)
        db.execute("UPDATE tasks SET parts = ?, key = ? WHERE task_id = 'inner'", (json.dumps(parts), old))
        db.execute("UPDATE cache SET key = ? WHERE key = ?", (old, key))  # (as the older one filed it)
    db.close()
    (e2e.root / ".agentmake" / "stamp").unlink(missing_ok=True)
    dry = e2e.am("-n", "merged")
    assert "0 to run" in dry.out, dry
    build = e2e.am("-v", "merged")  # (-v: a line for each task up to date)
    assert build.code == 0, build
    assert build.summary.ran == 0 and build.summary.cached == 0, build
    assert e2e.calls() == ["merge"], build
    db = sqlite3.connect(e2e.root / ".agentmake" / "state.db")
    (raw,) = db.execute("SELECT parts FROM tasks WHERE task_id = 'inner'").fetchone()
    db.close()
    assert json.loads(raw).get("_shape") == 1  # switched to the new key with the build's end


def test_the_shape_digest_holds_the_graph_not_the_names() -> None:
    from agentmake.plan.keys import shape_digest

    outputs = {"up:a": ("build/a.txt",), "up:b": ("build/b.txt",)}
    renamed = {"upper:a": ("build/a.txt",), "upper:b": ("build/b.txt",)}
    shape = shape_digest({"up:a": [], "up:b": ["up:a"]}, outputs)
    assert shape_digest({"upper:a": [], "upper:b": ["upper:a"]}, renamed) == shape
    assert shape_digest({"up:a": [], "up:b": []}, outputs) != shape  # a dependency less
    assert shape_digest({"up:a": [], "up:b": ["up:a"]}, {**outputs, "up:b": ("build/c.txt",)}) != shape


def test_a_reader_added_keeps_the_summary_report_and_one_removed_is_the_reason_given(e2e: E2E) -> None:
    """A merge report that begins to read the summary report takes it as it is (its record keyed the same
    tasks: `upgrade._shape_upgraded`); once none reads it, it is rendered anew (free), and explain says why,
    not that "the dependencies of the tasks its run summary covers changed"."""
    alone = AGENTFILE.format(name="up", read="reports/inner.md").split("report merged:")[0]
    e2e.write("Agentfile", alone)
    assert e2e.am("inner").code == 0
    e2e.write("Agentfile", AGENTFILE.format(name="up", read="reports/inner.md"))
    assert "[inner] is up to date" in e2e.am("explain", "inner").out
    build = e2e.am("-v", "merged")  # (-v: a line for each task up to date)
    assert build.code == 0 and build.states["inner"] == "up-to-date", build
    e2e.write("Agentfile", alone)
    said = e2e.am("explain", "inner").out
    assert "no agent or merge report reads it now" in said and "dependencies" not in said, said
