"""Findings of a fuzz of input contents and command-line arguments, each with the behaviour it fixed."""

from __future__ import annotations

from pathlib import Path

from agentmake.model import Prompt
from agentmake.templates import prompt_context, render_prompt


def test_templates_see_an_inputs_line_endings_as_they_are(tmp_path: Path) -> None:
    """`files[i].content` and `read()` used universal newlines: a CRLF file reached the agent with LF line
    endings, and a file of CR-only lines as LF lines, not the content of the file."""
    (tmp_path / "crlf.txt").write_bytes(b"a\r\nb\r\n")
    (tmp_path / "cr.txt").write_bytes(b"one\rtwo\r")
    ctx = prompt_context(tmp_path, {}, {}, ["crlf.txt", "cr.txt"], ["out.md"])
    every = Prompt("{% for f in files %}{{ f.content }}{% endfor %}")
    assert render_prompt(every, ctx) == "a\r\nb\r\none\rtwo\r"
    each = Prompt("{{ read('crlf.txt') }}|{{ read(files[1]) }}")
    assert render_prompt(each, ctx) == "a\r\nb\r\n|one\rtwo\r"
