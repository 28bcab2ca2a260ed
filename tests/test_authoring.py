"""Findings from writing Agentfiles from the docs alone (a code review, a translation, an API test), each as
the behaviour a new user expected."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def test_a_checked_task_that_succeeded_is_not_left_running(e2e: E2E) -> None:
    """An agent with a `check`, whose process ran long enough to be written to the `running` table, left its
    row there: `agentmake status` after a clean build said it was 'interrupted: agentmake (pid N) stopped
    before it finished'. (The check's own process replaced the pending mark, and the written row was not
    cleared.)"""
    e2e.write(
        "Agentfile",
        """\
        agent slow:
            run = "sleep 0.5; echo ok > {output}"
            inputs = in.txt
            outputs = out.txt
            check = "test -s {output}"
        """,
    )
    e2e.write("in.txt", "x\n")
    assert e2e.am().code == 0
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as db:
        assert db.execute("SELECT task_id FROM running").fetchall() == []
    status = e2e.am("status")
    assert status.code == 0 and "interrupted" not in status.text, status.text


def test_a_failing_python_check_says_its_error_not_traceback(e2e: E2E) -> None:
    """A `check` written in Python that fails with an exception printed only the traceback's first line,
    'Traceback (most recent call last):', which says nothing; the last line names the error."""
    e2e.write("assert.py", "import sys\nassert False, 'bad severity critical'\n")
    e2e.write(
        "Agentfile",
        """\
        agent findings:
            run = "echo critical > {output}"
            inputs = in.txt
            outputs = out.json
            retries = 0
            check = "python3 assert.py {output}"
        """,
    )
    e2e.write("in.txt", "x\n")
    run = e2e.am()
    assert run.code == 1
    assert "AssertionError: bad severity critical" in run.text, run.text
    assert "AssertionError: bad severity critical" in e2e.read(".agentmake/status.md")


def test_a_failing_python_shell_agent_says_its_error_not_traceback(e2e: E2E) -> None:
    """The same for a shell agent whose command is a Python script that raises."""
    e2e.write("gen.py", "raise ValueError('no endpoint named users')\n")
    e2e.write(
        "Agentfile",
        """\
        agent gen:
            run = "python3 gen.py > {output}"
            inputs = in.txt
            outputs = out.txt
            retries = 0
        """,
    )
    e2e.write("in.txt", "x\n")
    run = e2e.am()
    assert run.code == 1
    assert "ValueError: no endpoint named users" in run.text, run.text


def test_an_output_named_as_a_directory_is_an_agentfile_error(e2e: E2E) -> None:
    """`outputs = out/` passed `agentmake check`; the build then failed three attempts with 'command did not
    write out' although the command had made the directory."""
    e2e.write(
        "Agentfile",
        """\
        agent a:
            run = "mkdir -p {output} && cp {input} {output}/"
            inputs = in.txt
            outputs = out/
        """,
    )
    e2e.write("in.txt", "x\n")
    check = e2e.am("check")
    assert check.code == 2, check.text
    assert "output 'out/' names a directory" in check.text
    assert "Agentfile:4:" in check.text


def test_a_triple_quoted_prompt_is_dedented_as_written_before_variables_go_in(e2e: E2E) -> None:
    """Shared prompt text in a variable, put into each agent's inline prompt with `${shared}` (what the docs
    advise, since a template cannot include a file): the indentation was removed after substitution, so the
    variable's unindented lines made the common indentation zero and the agent's own lines kept theirs."""
    e2e.write(
        "Agentfile",
        '''\
        shared = """
            Line one of the shared text.
            Line two.
            """

        agent a:
            prompt = """
                You are a reviewer.
                ${shared}
                End.
                """
            inputs = in.txt
            outputs = out.txt
        ''',
    )
    e2e.write("in.txt", "x\n")
    assert e2e.am().code == 0
    prompt = e2e.read(".agentmake/tasks/a.prompt")
    assert prompt == "You are a reviewer.\nLine one of the shared text.\nLine two.\n\nEnd.\n", repr(prompt)


def test_the_built_in_report_layout_is_as_documented(e2e: E2E) -> None:
    """grammar/README.md describes the built-in layout (it did not: a user had to build a report to learn
    that Markdown inputs are demoted and JSON findings become tables); this holds it to that text."""
    e2e.write("a.md", "# Chapter\n\ntext\n")
    e2e.write("f.json", '{"tool": "lint", "findings": [{"rule": "eval", "line": 8}]}\n')
    e2e.write("g.json", '{"ok": true}\n')
    e2e.write("s.py", "print(1)\n")
    e2e.write("copy.md", "# Chapter\n\ntext\n")
    e2e.write(
        "Agentfile",
        """\
        report r:
            title = "All"
            inputs = a.md f.json g.json s.py copy.md none/*.txt
            output = R.md
            summary = false
        """,
    )
    assert e2e.am("report").code == 0
    text = e2e.read("R.md")
    assert text.startswith("# All\n\n## a.md\n\n### Chapter\n")
    assert "| key | value |" in text and "| tool | lint |" in text
    assert "| rule | line |\n|---|---|\n| eval | 8 |" in text
    assert '```json\n{\n  "ok": true\n}\n```' in text
    assert "```python\nprint(1)\n```" in text
    assert "## copy.md\n\n_(same as `a.md`)_" in text
    assert "## none/*.txt\n\n_(no file matches)_" in text
    layout = (Path(__file__).parents[1] / "grammar" / "README.md").read_text(encoding="utf-8")
    assert "**The built-in layout**" in layout and "_(no file matches)_" in layout
