"""A prompt written bare in the Agentfile (`prompt = Summarize the file`, `prompt: Summarize the file`):
a bare value names a prompt file, so the error said only "prompt takes one value, not 3" (or "prompt file
'Summarize' not found", or "expected '='"). It now says how to write it: the line with the prose quoted,
which, pasted in, loads and gives the agent the text as written."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.project import load

HINT = "to write the prompt here, quote it: "
AGENTFILE = "lang = en\n\nagent s:\n    {line}\n    inputs = in.txt\n    outputs = out.md\n"


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e = E2E(tmp_path / "proj", fake_agents)
    e.write("in.txt", "hello\n")
    return e


def _check(e2e: E2E, line: str) -> list[str]:
    e2e.write("Agentfile", AGENTFILE.format(line=line), dedent=False)
    run = e2e.am("check")
    assert run.code == 2 and run.out == "", run
    return run.err.splitlines()


@pytest.mark.parametrize(
    ("line", "text"),
    [
        ("prompt = Summarize the file", "Summarize the file"),
        ("prompt = Summarize the file  # in one line", "Summarize the file"),
        ('prompt = Summarize its "intro" \\ in ${lang}', 'Summarize its "intro" \\ in en'),
        ("prompt: Summarize the file", "Summarize the file"),
        ("prompt = Summarize", "Summarize"),
    ],
)
def test_a_bare_prompt_is_told_the_line_that_quotes_it(e2e: E2E, line: str, text: str) -> None:
    err = _check(e2e, line)
    hint = next((said for said in err if HINT in said), None)
    assert hint is not None and hint.endswith(" (a bare value names a prompt file)"), err
    fixed = hint[hint.index(HINT) + len(HINT) : hint.rindex(" (")]
    assert fixed.startswith('prompt = "'), err
    e2e.write("Agentfile", AGENTFILE.format(line=fixed), dedent=False)
    assert e2e.am("check").code == 0, fixed  # the line it gives loads
    prompt = load(e2e.root, None, {}).agents["s"].prompt
    assert prompt is not None and prompt.text == text  # and the agent is sent the text as written


def test_a_missing_prompt_file_with_a_path_gets_no_quoting_hint(e2e: E2E) -> None:
    err = _check(e2e, "prompt = prompts/summarize.md")
    assert "error: prompt file 'prompts/summarize.md' not found" in err[0], err
    assert not [said for said in err if "quote" in said], err


def test_a_reports_bare_merge_prompt_is_told_too(e2e: E2E) -> None:
    report = "\nreport r:\n    inputs = out.md\n    output = R.md\n    merge = Merge them all\n"
    e2e.write("Agentfile", AGENTFILE.format(line='prompt = "Sum it up"') + report, dedent=False)
    run = e2e.am("check")
    assert run.code == 2, run
    err = run.err.splitlines()
    assert err[0].endswith("error: merge takes one value, not 3: bare words name a merge prompt file"), err
    assert err[-1] == (
        'to write the merge prompt here, quote it: merge = "Merge them all"'
        " (a bare value names a merge prompt file)"
    )
