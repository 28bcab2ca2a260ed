"""An environment variable that chooses which service or model answers (an agent CLI's endpoint, e.g.
ANTHROPIC_BASE_URL, OPENAI_BASE_URL, OLLAMA_HOST; or its model, ANTHROPIC_MODEL, GEMINI_MODEL) is part of
the key of the tasks whose CLI receives it: pointing the same Agentfile at another endpoint made the build
say "up to date" and keep the other service's answers. Now it reruns, explain says the endpoint changed
(naming the variable and the host, never the value: a URL may hold a user and password), switching back
restores from the cache, and no value is kept in the state in clear. Real builds with the fake CLIs."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

SELECTORS = (
    "ANTHROPIC_BASE_URL", "ANTHROPIC_MODEL", "OPENAI_BASE_URL", "OLLAMA_HOST", "GEMINI_MODEL",
    "CLAUDE_CODE_USE_BEDROCK", "LLM_MODEL", "AIDER_MODEL",
)  # fmt: skip


class EnvE2E(E2E):
    """A project whose agentmake runs with `extra` in its environment (and none of `SELECTORS` else)."""

    extra: dict[str, str]

    def env(self) -> dict[str, str]:
        env = super().env()
        for name in SELECTORS:
            env.pop(name, None)
        env.update(self.extra)
        return env


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> EnvE2E:
    project = EnvE2E(tmp_path / "proj", fake_agents)
    project.extra = {}
    project.write("src.txt", "hello\n")
    return project


def _agentfile(e2e: E2E, runner: str, *, model: str = "", show: str = "") -> None:
    e2e.write(
        "Agentfile",
        f"""\
        agent sum:
            runner = {runner}
            {model}
            inputs = src.txt
            outputs = sum.md
            prompt = "FAKE: label=sum {show}\\nSum up {{{{ read(input) }}}}"
        """,
    )


def _state_bytes(e2e: E2E) -> bytes:
    return b"".join(p.read_bytes() for p in (e2e.root / ".agentmake").rglob("*") if p.is_file())


@pytest.mark.parametrize(
    ("runner", "name", "one", "two"),
    [
        (
            "claude",
            "ANTHROPIC_BASE_URL",
            "https://me:hunter2@one.example/",
            "https://me:hunter2@two.example/",
        ),
        (
            "codex",
            "OPENAI_BASE_URL",
            "https://one.example/v1?key=hunter2",
            "https://two.example/v1?key=hunter2",
        ),
        ("ollama", "OLLAMA_HOST", "http://one.example:11434", "http://two.example:11434"),
    ],
)
def test_another_endpoint_reruns_and_switching_back_restores(
    e2e: EnvE2E, runner: str, name: str, one: str, two: str
) -> None:
    _agentfile(e2e, runner, model="model = m1" if runner == "ollama" else "")
    e2e.extra = {name: one}
    assert e2e.am().code == 0
    assert e2e.calls("sum") == ["sum"]
    assert e2e.am().summary.up_to_date == 1
    e2e.extra = {name: two}
    explained = e2e.am("explain", "sum")
    assert f"endpoint changed ({name}: one.example → two.example)" in explained.text, explained
    assert "hunter2" not in explained.text
    run = e2e.am()
    assert run.summary.ran == 1, run
    assert e2e.calls("sum") == ["sum", "sum"]
    e2e.extra = {name: one}  # (back: the first endpoint's answer, from the cache or in place, no call)
    run = e2e.am()
    assert run.summary.cached + run.summary.up_to_date == 1, run
    assert len(e2e.calls("sum")) == 2
    e2e.extra = {}
    explained = e2e.am("explain", "sum")
    assert f"endpoint changed ({name}: one.example → (unset))" in explained.text, explained
    assert b"hunter2" not in _state_bytes(e2e)


def test_the_same_host_with_another_path_is_said_changed_without_the_credentials(e2e: EnvE2E) -> None:
    """(Other credentials alone change no key: tests/test_endpoint_secrets.py.)"""
    _agentfile(e2e, "claude")
    e2e.extra = {"ANTHROPIC_BASE_URL": "https://me:hunter2@proxy.example/"}
    assert e2e.am().code == 0
    e2e.extra = {"ANTHROPIC_BASE_URL": "https://me:swordfish@proxy.example/v2"}
    explained = e2e.am("explain", "sum")
    assert "endpoint changed (ANTHROPIC_BASE_URL changed)" in explained.text, explained
    assert "hunter2" not in explained.text and "swordfish" not in explained.text
    assert b"hunter2" not in _state_bytes(e2e) and b"swordfish" not in _state_bytes(e2e)


def test_a_provider_switch_is_an_endpoint_change(e2e: EnvE2E) -> None:
    _agentfile(e2e, "claude")
    assert e2e.am().code == 0
    e2e.extra = {"CLAUDE_CODE_USE_BEDROCK": "1"}
    explained = e2e.am("explain", "sum")
    assert "endpoint changed (CLAUDE_CODE_USE_BEDROCK: (unset) → set)" in explained.text, explained


def test_an_endpoint_variable_the_cli_does_not_receive_changes_nothing(e2e: EnvE2E) -> None:
    """`llm` is not given OPENAI_BASE_URL (its preset does not pass it), nor is claude OLLAMA_HOST: setting
    them changes no call, so no key."""
    _agentfile(e2e, "llm", model="model = m1")
    assert e2e.am().code == 0
    e2e.extra = {"OPENAI_BASE_URL": "https://elsewhere.example/v1", "OLLAMA_HOST": "http://h:1"}
    run = e2e.am()
    assert run.summary.up_to_date == 1, run
    assert e2e.calls("sum") == ["sum"]


def test_a_runners_url_wins_over_the_environments_so_only_it_is_keyed() -> None:
    from dataclasses import replace

    from agentmake.runners.presets import PRESETS, env_endpoint

    spec = PRESETS["openai-http"]
    environ = {"OPENAI_BASE_URL": "http://a.example/v1"}
    keyed = env_endpoint(spec, environ)
    assert list(keyed) == ["OPENAI_BASE_URL"] and keyed["OPENAI_BASE_URL"][0] == "a.example"
    assert "http" not in keyed["OPENAI_BASE_URL"][1]  # (a digest, not the value)
    assert env_endpoint(replace(spec, url="http://h:1/v1"), environ) == {}
    assert env_endpoint(PRESETS["shell"], environ) == {}


@pytest.mark.parametrize(("runner", "name"), [("claude", "ANTHROPIC_MODEL"), ("gemini", "GEMINI_MODEL")])
def test_a_model_the_cli_takes_from_the_environment_reaches_it_and_is_keyed(
    e2e: EnvE2E, runner: str, name: str
) -> None:
    """claude reads ANTHROPIC_MODEL, gemini GEMINI_MODEL, when no --model/-m is given: agentmake passes
    them (as it passes llm's LLM_MODEL), so changing one asks another model: a model change."""
    _agentfile(e2e, runner, show=f"show-env={name}")
    e2e.extra = {name: "m-one"}
    assert e2e.am().code == 0
    assert f"{name}=m-one" in e2e.read("sum.md")
    assert e2e.am().summary.up_to_date == 1
    e2e.extra = {name: "m-two"}
    explained = e2e.am("explain", "sum")
    assert "model changed m-one → m-two" in explained.text, explained
    run = e2e.am()
    assert run.summary.ran == 1, run
    assert f"{name}=m-two" in e2e.read("sum.md")
    _agentfile(e2e, runner, model="model = m-two", show=f"show-env={name}")  # (the same model by flag:
    assert e2e.am().summary.up_to_date == 1  # the same call, the same key)


def test_the_build_stamp_does_not_answer_for_another_endpoint(e2e: EnvE2E) -> None:
    _agentfile(e2e, "claude")
    e2e.extra = {"ANTHROPIC_BASE_URL": "https://one.example/"}
    assert e2e.am().code == 0
    assert e2e.am().summary.up_to_date == 1  # (writes the stamp)
    e2e.extra = {"ANTHROPIC_BASE_URL": "https://two.example/"}
    run = e2e.am("-v")
    assert run.summary.ran == 1, run
