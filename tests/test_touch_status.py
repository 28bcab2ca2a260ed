"""`status` after `agentmake -t`: a touched task is up to date, and not "restored from the cache" (its
record has no attempt, as a restored one has, but nothing was restored: its history row says "up-to-date").
A result a build really restored is still told restored. Real CLI runs with the fake agents."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
agent summarize:
    inputs = docs/{name}.md
    outputs = build/{name}.md
    prompt = "FAKE: label=sum-{{ name }}\\n{{ read(input) }}"
"""


def _rows(e2e: E2E) -> dict[str, dict[str, object]]:
    run = e2e.am("status", "--json")
    assert run.code == 0, run
    return {row["task"]: row for row in json.loads(run.out)}


def test_a_touched_task_is_not_told_restored_and_a_restored_one_is(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    e2e.write("docs/a.md", "doc a\n")
    e2e.write("docs/b.md", "doc b\n")
    assert e2e.am().code == 0
    shutil.rmtree(e2e.root / ".agentmake")  # (a fresh clone: the outputs, no state)
    touched = e2e.am("-t")
    assert touched.code == 0 and "2 touched" in touched.out, touched
    rows = _rows(e2e)
    assert {t: r["state"] for t, r in rows.items()} == {
        "summarize:a": "up to date",
        "summarize:b": "up to date",
    }
    assert not rows["summarize:a"]["restored"] and not rows["summarize:b"]["restored"], rows
    text = e2e.am("status").out
    assert "restored from the cache" not in text, text

    (e2e.root / "build/a.md").unlink()  # (the touch cached it: the build restores it, calling nothing)
    e2e.reset_calls()
    run = e2e.am()
    assert run.code == 0 and e2e.calls() == [], run
    rows = _rows(e2e)
    assert rows["summarize:a"]["restored"] and not rows["summarize:b"]["restored"], rows
    assert "restored from the cache" in e2e.am("status").out


def test_another_agentfiles_history_does_not_decide_restored(tmp_path: Path, fake_agents: FakeAgents) -> None:
    """Two Agentfiles in one directory with a task id in common: the history is not filed by Agentfile,
    and the latest row of that id (the other's restore) told a task -t recorded "restored from the cache".
    The row read is the one of the build that wrote the task's record."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    e2e.write("Other", AGENTFILE.replace("build/", "other/").replace("sum-", "osum-"), dedent=False)
    e2e.write("docs/a.md", "doc a\n")
    e2e.write("other/a.md", "committed\n")
    assert e2e.am().code == 0
    assert e2e.am("-t", "-f", "Other").code == 0  # (its record: found in place)
    (e2e.root / "build/a.md").unlink()
    assert e2e.am().code == 0  # (restored from the cache: the latest history row of summarize:a)
    run = e2e.am("status", "--json", "-f", "Other")
    assert run.code == 0, run
    assert [row["restored"] for row in json.loads(run.out)] == [False], run.out
    assert _rows(e2e)["summarize:a"]["restored"]
