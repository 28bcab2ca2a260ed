"""The `llm` CLI takes its model from `-m`, else from `LLM_MODEL` (shared/RUNNERS.md), and agentmake passes
LLM_MODEL through to it. An `llm` agent with no model set therefore asked another model when LLM_MODEL
changed, but its key held no model: the build said "up to date" and kept the old model's answer. Its key now
holds the model LLM_MODEL names (the same key `-m` would give: the same call), so changing it reruns, told as
a model change, and switching back restores from the cache. Real builds with the fake `llm` CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch) -> E2E:
    monkeypatch.delenv("LLM_MODEL", raising=False)
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("src.txt", "hello\n")
    return e2e


def _agentfile(e2e: E2E, model: str = "") -> None:
    e2e.write(
        "Agentfile",
        f"""\
        agent sum:
            runner = llm
            {model}
            inputs = src.txt
            outputs = sum.md
            prompt = "FAKE: label=sum\\nSum up {{{{ read(input) }}}}"
        """,
    )


def test_changing_llm_model_reruns_an_llm_agent_with_no_model(
    e2e: E2E, monkeypatch: pytest.MonkeyPatch
) -> None:
    _agentfile(e2e)
    monkeypatch.setenv("LLM_MODEL", "gpt-4o-mini")
    assert e2e.am().code == 0
    assert e2e.calls("sum") == ["sum"]
    assert e2e.am().summary.up_to_date == 1  # (unchanged: no call; the second build may be the stamp's)
    assert e2e.am().summary.up_to_date == 1
    monkeypatch.setenv("LLM_MODEL", "claude-3.5-haiku")
    explained = e2e.am("explain", "sum")
    assert "model changed gpt-4o-mini → claude-3.5-haiku" in explained.text, explained
    run = e2e.am()
    assert run.summary.ran == 1, run
    assert e2e.calls("sum") == ["sum", "sum"]
    monkeypatch.setenv("LLM_MODEL", "gpt-4o-mini")  # (back: the first answer, from the cache, no call; the
    run = e2e.am()  # fake answers alike for both models, so the output in place is that answer already)
    assert run.summary.cached + run.summary.up_to_date == 1, run
    assert len(e2e.calls("sum")) == 2


def test_llm_model_changes_nothing_when_the_agentfile_names_the_model(
    e2e: E2E, monkeypatch: pytest.MonkeyPatch
) -> None:
    _agentfile(e2e, "model = gpt-4o")  # (-m gpt-4o: LLM_MODEL is not read)
    monkeypatch.setenv("LLM_MODEL", "a")
    assert e2e.am().code == 0
    monkeypatch.setenv("LLM_MODEL", "b")
    run = e2e.am()
    assert run.summary.up_to_date == 1, run
    monkeypatch.delenv("LLM_MODEL")
    assert e2e.am().summary.up_to_date == 1
    assert e2e.calls("sum") == ["sum"]


def test_the_same_model_by_flag_or_by_llm_model_is_the_same_result(
    e2e: E2E, monkeypatch: pytest.MonkeyPatch
) -> None:
    _agentfile(e2e, "model = gpt-4o")
    assert e2e.am().code == 0
    _agentfile(e2e)
    monkeypatch.setenv("LLM_MODEL", "gpt-4o")
    run = e2e.am()
    assert run.summary.up_to_date + run.summary.cached == 1, run
    assert e2e.calls("sum") == ["sum"]


def test_each_preset_that_passes_a_model_variable_keys_it() -> None:
    """Every model variable a preset passes through (AUTH_ENV) is one `env_model` reads, and only for that
    preset's runners: aider's AIDER_MODEL as llm's LLM_MODEL."""
    from agentmake.runners.modelenv import MODEL_ENV
    from agentmake.runners.presets import AUTH_ENV, PRESETS, env_model

    environ = {"LLM_MODEL": "m1", "AIDER_MODEL": "m2"}
    assert env_model(PRESETS["llm"], environ) == "m1"
    assert env_model(PRESETS["aider"], environ) == "m2"
    assert env_model(PRESETS["claude"], environ) is None
    for preset, names in AUTH_ENV.items():
        for name in names:
            if name.endswith("_MODEL"):
                assert MODEL_ENV.get(preset) == name, (preset, name)
