"""A task decided to be restored from the cache runs when the restore fails (`Outcomes._restore`: "running
instead"). Its attempt must know what its CLI's settings allow as a run's does (`Decision.settings_write`,
which the rebuilder set only for a "run" decision since 8db0009): an agent the settings let write its own
output has that output set aside while it runs and put back after (`runners.backups.set_aside`), what it
wrote kept beside its logs. Before, the executor read the settings itself whatever the decision said, and
the restore's fallback run left the agent's own write in place of the output. In-process build, fake
claude."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import FakeAgents

from agentmake.graph import build_graph
from agentmake.plan import Hasher, Rebuilder
from agentmake.runners import Executor
from agentmake.scheduler import BuildOptions, ProcessRecorder, run_build
from agentmake.store import Store
from agentmake.syntax import load_agentfile

AGENTFILE = '''\
agent a:
    runner = claude
    inputs = docs/a.txt
    outputs = out/a.md
    prompt = """
        FAKE: write=out/a.md
        {{ read(input) }}
        """
'''


def _build(root: Path) -> Any:
    af = load_agentfile(root / "Agentfile")
    graph = build_graph(af)
    store = Store.open(root)
    try:
        recorder = ProcessRecorder(store)
        rebuilder = Rebuilder(graph, store, Hasher(root, store))
        executor = Executor(af, log_dir=store.dir / "logs", on_process=recorder)
        opts = BuildOptions(jobs=1, backoff_base=0.05)
        return run_build(graph, rebuilder, executor, store, opts, lambda event: None, processes=recorder)
    finally:
        store.close()


def test_a_run_after_a_failed_restore_sets_the_output_aside_by_the_settings(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = fake_agents.home / ".claude" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text('{"permissions": {"allow": ["Write"]}}')
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("a\n")
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    first = _build(tmp_path)
    assert first.ok and first.count("done") == 1, first
    logs = tmp_path / ".agentmake" / "logs"
    for log in logs.iterdir():  # (its answer, which the run would salvage instead of calling)
        log.unlink()
    (tmp_path / "out" / "a.md").unlink()  # (decided: restore it from the cache)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError("the cache cannot be read")

    monkeypatch.setattr(Store, "cache_restore", broken)
    second = _build(tmp_path)
    assert second.ok and second.count("done") == 1, second  # (it ran instead)
    wrote = [p.read_text() for p in logs.glob("*.wrote")]
    assert [w.split("\n")[0] for w in wrote] == ["written by fake claude: out/a.md"], wrote
    assert not (tmp_path / "out" / "a.md").read_text().startswith("written by fake claude")
