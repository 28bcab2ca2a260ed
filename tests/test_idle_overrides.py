"""A `VAR=value` on the command line that names no setting and no variable of the Agentfile or its prompts (a
typo: `lnag=French` for `lang`) changes nothing: it used to be taken silently, and the build went on in the
Agentfile's language. Now it is warned about, once, with the name it may have meant; the build still runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
lang = "English"
tone = "plain"

agent copy:
    inputs = in.txt
    outputs = out/copy.txt
    run = "echo ${lang} > {output}"

agent styled:
    inputs = in.txt
    outputs = out/styled.txt
    prompt = prompts/styled.md
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    e2e.write("in.txt", "hi\n")
    e2e.write("prompts/styled.md", "In a {{ tone }} tone and {{ style }} style:\n{{ read(input) }}\n")
    return e2e


def test_a_misspelt_override_is_warned_about_with_the_name_meant(e2e: E2E) -> None:
    run = e2e.am("-n", "lnag=French", "style=short")
    assert run.code == 0, run
    warning = "agentmake: warning: lnag=... on the command line sets nothing"
    assert run.err.count(warning) == 1, run
    assert "did you mean 'lang'?" in run.err, run
    assert "French" not in run.text, run  # (its value is not echoed: it may be a secret)


@pytest.mark.parametrize(
    "override",
    [
        "lang=French",  # an Agentfile variable
        "tone=dry",  # another, read by the prompt file
        "jobs=2",  # a setting
    ],
)
def test_an_override_that_sets_something_is_not_warned_about(e2e: E2E, override: str) -> None:
    run = e2e.am("-n", override, "style=short")  # (style: read by the prompt file alone)
    assert run.code == 0, run
    assert "warning" not in run.err, run
