"""Findings of a fuzz of input contents and command-line arguments, each with the behaviour it fixed."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main
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


def test_a_newline_in_a_file_name_cannot_forge_a_line_of_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Error messages quote file names, task ids and wildcard values, and were printed with their line breaks
    kept: a file whose name holds a newline could print a line of its own (here a fake summary line), in a
    located error and in a "did you mean" hint alike."""
    forged = "agentmake: 5 ran, 0 cached, 0 up to date, 0 failed in 0.1s"
    for name in (f"x\n{forged}/yz.txt", f"x\n{forged}y/z.txt"):  # two tasks that would write one file
        (tmp_path / "in" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "in" / name).write_text("1")
    agent = 'agent t:\n    run = "cat {input} > {output}"\n    inputs = in/%s.txt\n    outputs = out/%s.md\n'
    (tmp_path / "Agentfile").write_text(agent % ("{a}/{b}", "{a}{b}"))
    assert main(["-C", str(tmp_path), "-n"]) == 2
    err = capsys.readouterr().err
    assert "is produced by both" in err and f"x\\n{forged}" in err, err
    assert not any(line.startswith("agentmake: 5 ran") for line in err.splitlines()), err

    (tmp_path / "Agentfile").write_text(agent % ("{a}/yz", "{a}"))
    assert main(["-C", str(tmp_path), "-n", f"t:x {forged}"]) == 2  # "did you mean" names the task id
    err = capsys.readouterr().err
    assert f"did you mean 't:x\\n{forged}'" in err, err
    assert len(err.splitlines()) == 1, err
