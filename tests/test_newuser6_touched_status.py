"""`status` of a task whose result `agentmake -t` recorded says so, not "restored from the cache" (nothing
was restored: -t took the outputs in place), and a failed task whose last success was a -t says that rather
than `last success: 0.0s` (newuser6: both lines misled after `rm -rf .agentmake; agentmake -t`)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
agent a:
    inputs = a.md
    outputs = out/a.md
    prompt = "FAKE: label=a{{ ' exit=1' if 'broken' in read(input) else '' }}\\n{{ read(input) }}"
"""
TOUCHED = "recorded as built by agentmake -t: the outputs in place, no call"


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    e2e.write("a.md", "alpha\n")
    assert e2e.am().code == 0
    shutil.rmtree(e2e.root / ".agentmake")
    assert e2e.am("-t").code == 0
    return e2e


def test_status_of_a_touched_task_says_touched(e2e: E2E) -> None:
    run = e2e.am("status")
    assert TOUCHED in run.out, run
    assert "restored from the cache" not in run.out, run
    row = json.loads(e2e.am("status", "--json").out)[0]
    assert row["touched"] is True and row["restored"] is False, row


def test_a_failure_after_a_touch_names_it_as_the_last_success(e2e: E2E) -> None:
    e2e.write("a.md", "broken\n")
    assert e2e.am().code == 1
    run = e2e.am("status")
    assert "failed" in run.out.splitlines()[0], run
    assert "last success: recorded by agentmake -t (no call)" in run.out, run
    assert "last success: 0.0s" not in run.out, run


def test_a_restored_result_is_still_said_restored(e2e: E2E) -> None:
    e2e.write("a.md", "beta\n")
    assert e2e.am().code == 0  # (made: paid for, cached)
    e2e.write("a.md", "alpha\n")
    assert e2e.am().code == 0  # (the touched result, cached by -t under its key: restored)
    e2e.write("a.md", "beta\n")
    restored = e2e.am()
    assert restored.summary.cached == 1, restored
    run = e2e.am("status")
    assert "restored from the cache" in run.out and TOUCHED not in run.out, run


def test_a_stale_touched_task_has_no_last_success_line(e2e: E2E) -> None:
    e2e.write("a.md", "beta\n")
    run = e2e.am("status")
    assert run.out.startswith("stale"), run
    assert "last success" not in run.out, run  # (as for any stale task: only a failed one has it)


def test_a_failure_after_a_touch_reads_no_whole_history(e2e: E2E, monkeypatch: pytest.MonkeyPatch) -> None:
    """review19: status of a failed task whose last success was a -t (or a restore) read every history row
    there is (`Store.attempts()`: ~1 s at 10,000 tasks, 10 rows each); now its own rows alone."""
    from agentmake.display.status import _touched
    from agentmake.store import Store

    e2e.write("a.md", "broken\n")
    assert e2e.am().code == 1
    whole = Store.attempts

    def attempts(self: Store, run_id: int | None = None) -> list[object]:
        assert run_id is not None, "the whole history read"
        return list(whole(self, run_id))

    monkeypatch.setattr(Store, "attempts", attempts)
    with Store.open(e2e.root, lock=False) as store:
        records = dict(store.task_records())
        assert records["a"].status == "failed"
        assert _touched(store, records)[0] == {"a"}  # (touched, kept)
