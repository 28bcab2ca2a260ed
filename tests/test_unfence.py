"""A model's answer wrapped whole in one fence (```json … ```) becomes its content (`runners.unfence`): a JSON
output used to begin with the fence, fail its `check` and be paid for again; anything that is not one
whole fence of a fitting language is left exactly as the model wrote it."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners.unfence import unfence

NESTED = "```markdown\n# T\n\n```python\nx = 1\n```\n\ntext\n```\n"


@pytest.mark.parametrize(
    ("name", "answer", "content"),
    [
        ("a.json", '```json\n{"a": 1}\n```\n', '{"a": 1}\n'),
        ("a.json", '\n```\n{"a": 1}\n```\n\n', '{"a": 1}\n'),  # (no language; blank lines around)
        ("a.md", NESTED, "# T\n\n```python\nx = 1\n```\n\ntext\n"),  # (code blocks inside, same fence)
        ("a.md", "````md\n# T\n```\ncode\n```\n````\n", "# T\n```\ncode\n```\n"),  # (a longer fence)
        ("a.py", "~~~python\nprint(1)\n~~~", "print(1)\n"),  # (tildes; no newline at the end)
    ],
)
def test_an_answer_wrapped_whole_in_a_fitting_fence_is_its_content(
    tmp_path: Path, name: str, answer: str, content: str
) -> None:
    path = tmp_path / name
    path.write_text(answer)
    path.chmod(0o640)
    assert unfence(path, name)
    assert path.read_text() == content
    assert path.stat().st_mode & 0o777 == 0o640  # (rewritten in place)


@pytest.mark.parametrize(
    ("name", "answer"),
    [
        ("a.md", "Here it is:\n```markdown\n# T\n```\n"),  # a preamble
        ("a.md", "```markdown\n# T\n```\nAnd a last word.\n"),  # something after it
        ("a.md", "```python\nx = 1\n```\n"),  # a language that is not the output's
        ("a.md", "```\n# one\n```\n```\n# two\n```\n"),  # two blocks
        ("a.json", "```json\n\n```\n"),  # nothing inside
        ("a.json", "```json\n{}\n"),  # never closed
        ("a.txt", "plain text\n"),
    ],
)
def test_anything_else_is_left_as_the_model_wrote_it(tmp_path: Path, name: str, answer: str) -> None:
    path = tmp_path / name
    path.write_text(answer)
    assert not unfence(path, name)
    assert path.read_text() == answer


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def test_a_fenced_json_answer_passes_its_check_at_the_first_call(e2e: E2E) -> None:
    e2e.write(
        "Agentfile",
        '''
        agent find:
            inputs = in.txt
            outputs = out/findings.json
            check = json
            prompt = """
                FAKE: label=find answer=```json\\n{"issues": 2}\\n```
                List the issues in {{ input }}.
                """
        ''',
    )
    e2e.write("in.txt", "some code\n")
    run = e2e.am()
    assert run.code == 0, run
    assert run.summary.ran == 1 and e2e.calls("find") == ["find"], run
    assert e2e.read("out/findings.json") == '{"issues": 2}\n'
    logs = list((e2e.root / ".agentmake" / "logs").glob("*.out"))
    assert any("```json" in log.read_text() for log in logs), "the log keeps the answer as it came"
