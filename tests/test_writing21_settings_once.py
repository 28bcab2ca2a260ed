"""A build reads the agent CLIs' settings files once per runner, for the key and for the run alike: the plan
reads them (`KeyParts._config_reading`) and its decision carries the answer to the attempt
(`Decision.settings_write`), which sets the output aside by it (`runners.execute`). Before, the executor
read them again for itself (`ExecutorBase._settings_write`). In-process build, fake claude."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import FakeAgents

from agentmake.graph import build_graph
from agentmake.plan import Hasher, Rebuilder
from agentmake.runners import Executor, modelconfig
from agentmake.scheduler import BuildOptions, ProcessRecorder, run_build
from agentmake.store import Store
from agentmake.syntax import load_agentfile

AGENTFILE = '''\
agent a:
    runner = claude
    inputs = docs/{name}.txt
    outputs = out/{name}.md
    prompt = """
        FAKE: write=out/{{ name }}.md
        {{ read(input) }}
        """
'''


def _build(root: Path) -> None:
    af = load_agentfile(root / "Agentfile")
    graph = build_graph(af)
    store = Store.open(root)
    try:
        recorder = ProcessRecorder(store)
        rebuilder = Rebuilder(graph, store, Hasher(root, store))
        executor = Executor(af, log_dir=store.dir / "logs", on_process=recorder)
        opts = BuildOptions(jobs=2, backoff_base=0.05)
        result = run_build(graph, rebuilder, executor, store, opts, lambda event: None, processes=recorder)
        assert result.ok and result.count("done") == 3, result
    finally:
        store.close()


def test_the_settings_are_read_once_and_the_run_sets_the_output_aside_by_them(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = fake_agents.home / ".claude" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text('{"permissions": {"allow": ["Write"]}}')
    (tmp_path / "docs").mkdir()
    for name in ("a", "b", "c"):
        (tmp_path / "docs" / f"{name}.txt").write_text(f"{name}\n")
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    reads: list[str] = []
    real = modelconfig.config_reading

    def counted(preset: str | None, runner: Any, *args: Any, **kwargs: Any) -> Any:
        reads.append(runner.name if runner is not None else "")
        return real(preset, runner, *args, **kwargs)

    monkeypatch.setattr(modelconfig, "config_reading", counted)
    _build(tmp_path)
    assert reads == ["claude"]  # (before: twice, the plan's reading and the executor's)
    # (what each agent wrote to its output itself was set aside by the decision's answer, kept by its logs)
    wrote = sorted(p.read_text() for p in (tmp_path / ".agentmake" / "logs").glob("*.wrote"))
    assert [w.split("\n")[0] for w in wrote] == [f"written by fake claude: out/{n}.md" for n in "abc"], wrote
