"""Successes recorded together (one transaction, `Results._record_together`) note their answers reported in
their key files (`salvage.note_reported`) only once that transaction is committed. Before, each was noted as
it joined the open transaction: a kill -9 before the commit left an answer that no history row holds marked
reported, which the next build salvaged as costing nothing: paid, and said by no build (benchmarks/
soak_kill9.py seed 2242: "8 tokens in / 6 out" short). In-process build with the fake claude, its results
gathered into one batch as `test_record_batch` does; each note checks, through a second connection, that
its task's history row is committed."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import FakeAgents

from agentmake import workflow
from agentmake.runners import salvage as salvage_mod
from agentmake.scheduler import loop as loop_mod
from agentmake.store import Store

AGENT = '''\
agent t{i}:
    outputs = out/t{i}.md
    prompt = """
        FAKE: label=t{i}
        Say {i}
        """

'''


def test_answers_recorded_together_are_noted_reported_once_committed(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "Agentfile").write_text("".join(AGENT.format(i=i) for i in range(3)))
    real_handle_all = loop_mod.Build._handle_all
    real_note = salvage_mod.note_reported  # (imported where it is called: `outcomes._note_paid`)
    batches: list[list[str]] = []
    noted: list[tuple[str, bool]] = []  # (log stem, its task's history row committed when it was noted)

    def gathering(self: loop_mod.Build, messages: list[tuple[Any, ...]]) -> None:
        if any(m[0] == "result" for m in messages) and not batches:
            deadline = time.monotonic() + 30  # (all three results, handled together)
            while sum(m[0] == "result" for m in messages) < 3 and time.monotonic() < deadline:
                messages.extend(self._receive(0.05))
            batches.append(sorted(m[1] for m in messages if m[0] == "result"))
        real_handle_all(self, messages)

    def noting(stem: Path, paid_at: float | None = None) -> None:
        task = stem.name.rsplit(".", 1)[0]
        other = sqlite3.connect(tmp_path / ".agentmake" / "state.db")
        try:
            rows = other.execute("SELECT 1 FROM attempts WHERE task_id = ?", (task,)).fetchall()
        finally:
            other.close()
        noted.append((stem.name, bool(rows)))
        real_note(stem, paid_at)

    monkeypatch.setattr(loop_mod.Build, "_handle_all", gathering)
    monkeypatch.setattr(salvage_mod, "note_reported", noting)
    req = workflow.Request(directory=tmp_path, silent=True, jobs=3)  # type: ignore[call-arg]
    project = workflow.load_project(req)
    with Store.open(tmp_path) as store:
        assert workflow.run_graph(project, project.graph, store, req).ok
    assert batches == [["t0", "t1", "t2"]]
    assert sorted(noted) == [("t0.1", True), ("t1.1", True), ("t2.1", True)]
    for i in range(3):  # (and the notes landed: a later build never counts these answers again)
        assert (tmp_path / ".agentmake" / "logs" / f"t{i}.1.key").read_text().endswith("reported\n")
