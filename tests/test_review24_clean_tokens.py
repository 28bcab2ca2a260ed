"""`clean` and `-t` say what a killed build spent that no build reported, once, and mark it reported
(`workflow.takeover.take_over_left`). A history row that reported tokens but no cost (a CLI that says no
price) is on that list as on a build's (a build adds its tokens to its summary line, `BuildResult.tokens`):
before, it was marked reported and said nowhere, so its spend was reported by none."""

from __future__ import annotations

from pathlib import Path

from agentmake.graph import build_graph
from agentmake.plan import Hasher
from agentmake.store import AttemptRecord, Store
from agentmake.syntax import load_agentfile
from agentmake.workflow import Project
from agentmake.workflow.takeover import KILLED, take_over_left


def test_a_killed_builds_tokens_of_unknown_cost_are_said_once(tmp_path: Path) -> None:
    (tmp_path / "Agentfile").write_text('agent a:\n    outputs = a.md\n    prompt = "x"\n')
    af = load_agentfile(tmp_path / "Agentfile")
    project = Project(af, build_graph(af))
    with Store.open(tmp_path) as store:
        run = store.begin_run()  # (killed: never ended)
        store.record_attempt(AttemptRecord(run, "a", "failed", 1.0, 2.0, 2, None, 1200, 345))
    said: list[str] = []
    for _ in range(2):
        with Store.open(tmp_path) as store:
            take_over_left(project, store, Hasher(tmp_path, store), say=said.append)
    assert said == [
        f"a (failed) used 1,200 tokens in / 345 out (its cost unknown), paid by {KILLED}, which reported none"
    ]
