"""`ollama run MODEL` pulls a model it has not got; a model the registry has not got either ("Error: pull
model manifest: file does not exist") fails the same way at every retry: it is a usage error told at once,
in ollama's own words (not its "pulling manifest" progress line)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners.classify import classify_failure
from agentmake.runners.parse import Parsed


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def test_unknown_ollama_model_fails_at_once(e2e: E2E) -> None:
    e2e.write(
        "Agentfile",
        """\
        backoff = 0.01

        runner ollama:
            model = "no-such-model"
            retries = 3

        agent a:
            runner = ollama
            prompt = \"\"\"
                FAKE: label=a fail=nomodel
                Say hello
                \"\"\"
            outputs = out/a.md
        """,
    )
    run = e2e.am("a")
    assert run.code != 0
    assert "retrying" not in run.text
    said = "ollama request refused (unknown model): Error: pull model manifest: file does not exist"
    assert said in run.text
    assert e2e.calls("a") == ["a"]


def test_a_pull_that_cannot_reach_the_registry_is_retried() -> None:
    stderr = (
        'pulling manifest \nError: pull model manifest: Get "https://registry.ollama.ai/v2/library/x/manifests/'
        'latest": dial tcp: lookup registry.ollama.ai: no such host\n'
    )
    verdict = classify_failure("ollama", 1, Parsed(answer=""), "", stderr)
    assert verdict.outcome == "retry"
