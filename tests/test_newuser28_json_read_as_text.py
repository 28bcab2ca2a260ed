"""A runner with a new name and no `base` whose command has its CLI print JSON (`runner cs: command = "claude
-p --output-format stream-json --verbose"`) reads the answer as text: the whole JSON stream became the output
and its cost went uncounted, and `agentmake check` said ok. It now warns, naming the flag and `base = CLI`
(newuser28)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.check_warnings import check_warnings
from agentmake.syntax import load_agentfile


def _warned(tmp_path: Path, runner: str) -> list[str]:
    (tmp_path / "in.txt").write_text("hi\n")
    (tmp_path / "Agentfile").write_text(
        f'runner r:\n{runner}\nagent a:\n    runner = r\n    prompt = "hi"\n'
        "    inputs = in.txt\n    outputs = a.md\n"
    )
    return [w for w in check_warnings(load_agentfile(tmp_path / "Agentfile"), None) if "print JSON" in w]


@pytest.mark.parametrize(
    ("command", "cli", "asked"),
    [
        ("claude -p --output-format stream-json --verbose", "claude", "--output-format stream-json"),
        ("/usr/local/bin/claude -p --output-format=json", "claude", "--output-format=json"),
        ("codex exec --json", "codex", "--json"),
        ("gemini -o json", "gemini", "-o json"),
        ("claude -p --output-format text --output-format=json", "claude", "--output-format=json"),
        ("llm --json", "llm", "--json"),
    ],
)
def test_json_read_as_text_is_warned(tmp_path: Path, command: str, cli: str, asked: str) -> None:
    said = _warned(tmp_path, f'    command = "{command}"')
    assert len(said) == 1, said
    assert said[0].startswith(f"runner r: its command has {cli} print JSON ({asked}), "), said
    assert f"add `base = {cli}`" in said[0], said


@pytest.mark.parametrize(
    "runner",
    [
        '    command = "claude -p"',  # (text: read as text)
        '    base = claude\n    command = "claude -p --output-format json"',  # (read as the preset does)
        '    command = "claude -p --output-format json"\n    format = claude-json',
        '    command = "my-claude --output-format json"',  # (another program: its output is its own)
        # (claude keeps the last of a repeated option: it prints text; `check_warnings._json_asked` asked the
        # first, and warned)
        '    command = "claude -p --output-format json --output-format text"',
    ],
)
def test_what_is_read_right_is_not_warned(tmp_path: Path, runner: str) -> None:
    assert _warned(tmp_path, runner) == []
