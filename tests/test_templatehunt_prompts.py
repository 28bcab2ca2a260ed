"""Prompt templates as a user writes them: what the rendered prompt holds, what an agent is sent, and which
edits cost a call. Real builds with the fake claude (tests/fake_agents), through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

BOM = b"\xef\xbb\xbf"

AGENTFILE = """\
lang = "English"

agent t:
    prompt = p.md
    inputs = docs/a.md
    outputs = out/a.md
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e = E2E(tmp_path / "proj", fake_agents)
    e.write("docs/a.md", "hello\n")
    e.write("Agentfile", AGENTFILE)
    return e


def sent(e2e: E2E, task: str = "t") -> bytes:
    """The exact prompt the last run of `task` was sent (`.agentmake/tasks/`)."""
    return (e2e.root / ".agentmake" / "tasks" / f"{task}.prompt").read_bytes()


def test_a_prompt_file_saved_with_a_bom_sends_no_bom_and_reruns_nothing(e2e: E2E) -> None:
    """A BOM is no part of a prompt file's text, as it is none of the Agentfile's: an editor that adds one
    on save (Notepad) must neither put U+FEFF at the head of what the agent is sent nor pay for a rerun."""
    (e2e.root / "p.md").write_bytes(b"Say {{ lang }}\n")
    assert e2e.am().summary.ran == 1
    assert sent(e2e) == b"Say English\n"
    (e2e.root / "p.md").write_bytes(BOM + b"Say {{ lang }}\n")
    run = e2e.am()
    assert run.summary.ran == 0 and run.summary.up_to_date == 1, run
    (e2e.root / "out/a.md").unlink()
    assert e2e.am("-B").summary.ran == 1
    assert sent(e2e) == b"Say English\n"


def test_a_prompt_file_holding_only_a_bom_is_empty(e2e: E2E) -> None:
    """A file with nothing but a BOM is an empty prompt (an error), not a paid call sent U+FEFF."""
    (e2e.root / "p.md").write_bytes(BOM + b"\n")
    run = e2e.am()
    assert run.code == 2, run
    assert "prompt file 'p.md' is empty" in run.err
    assert e2e.calls() == []


@pytest.mark.parametrize(
    ("prompt", "doc"),
    [
        ("{# to do: write the prompt #}\n", "hello\n"),  # a text that is not empty, rendering nothing
        ("{{ read(input) }}", ""),  # an empty input read whole
        ("{%- if lang == 'French' %}Dis bonjour{% endif -%}\n", "hello\n"),  # a branch not taken
    ],
)
def test_a_prompt_that_renders_empty_is_a_located_error_not_a_call(e2e: E2E, prompt: str, doc: str) -> None:
    """An empty prompt is an error (grammar/README.md): so is one whose text renders to nothing but
    blanks for a task. The agent would be sent, and paid for, nothing."""
    e2e.write("p.md", prompt, dedent=False)
    e2e.write("docs/a.md", doc, dedent=False)
    dry = e2e.am("-n")
    assert dry.code == 1, dry  # (the build fails that task: exit 1; the dry run says it would)
    assert "would fail t: p.md:1:" in dry.out and "renders empty" in dry.out, dry
    run = e2e.am()
    assert run.code == 1 and run.summary.failed == 1, run
    assert "renders empty" in run.err and "Traceback" not in run.err
    assert e2e.calls() == []


@pytest.mark.parametrize(
    "prompt",
    [
        "{# {% include 'header.md' %} is gone: the header is in a variable now #}\nSay {{ lang }}\n",
        "Explain what {{ '{% include \"x.md\" %}' }} does in {{ input }}.\n",
    ],
)
def test_an_include_that_is_only_text_is_not_refused(e2e: E2E, prompt: str) -> None:
    """`{% include %}` is refused because it would load a file the key misses; one inside a comment or a
    string loads nothing and is no include (as one inside `{% raw %}` is not)."""
    e2e.write("p.md", prompt, dedent=False)
    run = e2e.am()
    assert run.code == 0, run
    assert run.summary.ran == 1


def test_a_real_include_is_still_refused_at_its_line(e2e: E2E) -> None:
    e2e.write("p.md", "{# a comment #}\nSay {{ lang }}\n{%- include 'x.md' %}\n", dedent=False)
    run = e2e.am("check")
    assert run.code == 2, run
    assert "p.md:3:1: error: {% include %} is not supported" in run.err


def test_status_shows_every_task_when_one_prompt_does_not_render(e2e: E2E) -> None:
    """A prompt that fails for one task's input (here: renders empty for an empty document) fails that task
    alone; `agentmake status` still shows every task (that one failed, with its located error), instead of
    refusing the whole project with the error of one."""
    e2e.write("Agentfile", AGENTFILE.replace("docs/a.md", "docs/{n}.md").replace("out/a.md", "out/{n}.md"))
    e2e.write("p.md", "{{ read(input) }}")
    e2e.write("docs/b.md", "", dedent=False)
    build = e2e.am("-k")
    assert build.code == 1 and build.summary.ran == 1 and build.summary.failed == 1, build
    status = e2e.am("status", "--json")
    assert status.code == 0, status
    rows = {row["task"]: row for row in json.loads(status.out)}
    assert rows["t:a"]["state"] == "up to date"
    assert rows["t:b"]["state"] == "failed"
    assert any("p.md:1:" in r and "renders empty" in r for r in rows["t:b"]["reasons"]), rows["t:b"]
    text = e2e.am("status")
    assert text.code == 0 and "t:a" in text.out and "t:b" in text.out, text
