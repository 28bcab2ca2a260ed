"""An optional variable, read the ways Jinja's strict undefined allows (`x is defined`, `x|default(...)`):
rendering never fails on it, so `check` (and every build, which runs the same check) may not refuse the
Agentfile for it as an undefined name; a bare read of a name defined nowhere still is. Real CLI, fake
claude."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e = E2E(tmp_path / "proj", fake_agents)
    e.write("docs/a.md", "alpha\n")
    e.write("Agentfile", "agent t:\n    prompt = p.md\n    inputs = docs/a.md\n    outputs = out/a.md\n")
    return e


@pytest.mark.parametrize(
    "prompt",
    [
        "Hello{% if lang is defined %} in {{ lang }}{% endif %}: {{ read(input) }}\n",
        "Hello{% if lang is undefined %} in English{% else %} in {{ lang }}{% endif %}: {{ read(input) }}\n",
        "Hello{% if lang is defined and lang %} in {{ lang|upper }}{% endif %}: {{ read(input) }}\n",
        "Hello in {{ lang|default('English') }}: {{ read(input) }}\n",
        "Hello in {{ lang|d('English') }}: {{ read(input) }}\n",
        "Hello{{ ' in ' ~ lang if lang is defined }}: {{ read(input) }}\n",
    ],
)
def test_an_optional_variable_is_not_an_undefined_name(e2e: E2E, prompt: str) -> None:
    e2e.write("p.md", prompt, dedent=False)
    check = e2e.am("check")
    assert check.code == 0, check
    run = e2e.am()
    assert run.code == 0 and run.summary.ran == 1, run
    assert "alpha" in e2e.read("out/a.md")
    given = e2e.am("lang=French")
    assert given.code == 0 and given.summary.ran == 1, given
    assert "French" in e2e.read("out/a.md").replace("FRENCH", "French")


@pytest.mark.parametrize(
    "prompt",
    [
        "Hello in {{ lang }}\n",
        "Hello{% if lang is defined %} in {{ lang }}{% endif %}, {{ lang }}\n",  # (a use outside the guard)
        "Hello{% if lang is undefined %} in {{ lang }}{% endif %}\n",
        "Hello{% if other is defined %} in {{ lang }}{% endif %}\n",
    ],
)
def test_a_name_read_unguarded_is_still_refused(e2e: E2E, prompt: str) -> None:
    e2e.write("p.md", prompt, dedent=False)
    check = e2e.am("check")
    assert check.code == 2, check
    assert "undefined name: 'lang' is undefined" in check.err, check
