"""Prompt template errors as a new user meets them: the location is said once (`p.md:2:4: error: …`, not
`p.md:2:4: error: prompt p.md, line 2: …`), and `{{ input.content }}` (a plausible guess: `files` items
have `.content`) is refused by `check`, before any build, saying that `input` is a path and what to write."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main


def project(root: Path, agentfile: str, files: dict[str, str] | None = None) -> Path:
    (root / "Agentfile").write_text(agentfile)
    (root / "notes.md").write_text("some notes\n")
    for name, text in (files or {}).items():
        (root / name).write_text(text)
    return root


SHELL = 'runner claude:\n    command = "cat"\n    format = text\n\n'  # (no real CLI needed: nothing runs)


def test_a_prompt_file_error_says_its_location_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    agentfile = SHELL + "agent t:\n    inputs = notes.md\n    outputs = o.md\n    prompt = p.md\n"
    root = project(tmp_path, agentfile, {"p.md": "Summarise:\n{{ nope }}\n"})
    assert main(["-C", str(root), "check"]) == 2
    first = capsys.readouterr().err.split("\n")[0]
    assert first == "p.md:2:4: error: undefined name: 'nope' is undefined", first
    (root / "p.md").write_text("Summarise:\n{% if x %}\n")
    assert main(["-C", str(root), "check"]) == 2
    first = capsys.readouterr().err.split("\n")[0]
    assert first.startswith("p.md:2:1: error: template syntax error: Unexpected end of template"), first


def test_an_inline_prompt_error_says_its_agentfile_line_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompt = '    prompt = """\n        Hi\n        {{ nope }}\n        """\n'
    agentfile = SHELL + "agent t:\n    inputs = notes.md\n    outputs = o.md\n" + prompt
    root = project(tmp_path, agentfile)
    assert main(["-C", str(root), "check"]) == 2
    first = capsys.readouterr().err.split("\n")[0]
    assert first.endswith("Agentfile:10:12: error: inline prompt: undefined name: 'nope' is undefined"), first


def test_a_report_template_error_says_its_location_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    agentfile = "report r:\n    inputs = notes.md\n    output = R.md\n    template = r.md\n"
    root = project(tmp_path, agentfile, {"r.md": "# {{ title }}\n{% for x in inputs %}\n"})
    assert main(["-C", str(root), "check"]) == 2
    first = capsys.readouterr().err.split("\n")[0]
    said = "r.md:2:1: error: report template: syntax error: Unexpected end of template"
    assert first.startswith(said), first
    assert "r.md, line" not in first


@pytest.mark.parametrize(
    ("prompt", "said"),
    [
        ("Summarise {{ input.content }}", "'input' is a path (text): it has no '.content'"),
        ("Summarise {{ inputs[0].text }}", "'inputs[0]' is a path (text): it has no '.text'"),
        ("Write {{ output.name }}", "'output' is a path (text): it has no '.name'"),
    ],
)
def test_an_attribute_of_a_path_is_refused_by_check_with_what_to_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], prompt: str, said: str
) -> None:
    """`check` said ok; `-n` then said `would fail a: …: undefined name: 'str object' has no attribute
    'content'`, with nothing about `read(input)`; a build failed the task."""
    agentfile = SHELL + f'agent a:\n    prompt = "{prompt}"\n    inputs = notes.md\n    outputs = o.md\n'
    root = project(tmp_path, agentfile)
    for args in (["check"], ["-n"], []):
        assert main(["-C", str(root), *args]) == 2, args
        err = capsys.readouterr().err
        assert "Agentfile:6:" in err and said in err, err
        assert "{{ read(input) }}" in err and "f.content" in err
    assert not (root / "o.md").exists()


def test_string_methods_of_paths_and_a_loop_variable_named_input_are_fine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    agentfile = SHELL + "agent a:\n    prompt = p.md\n    inputs = notes.md\n    outputs = o.md\n"
    text = "{{ input.upper() }} {{ outputs[0].endswith('.md') }}\n"
    text += "{% for input in files %}{{ input.content }}{% endfor %}\n"
    root = project(tmp_path, agentfile, {"p.md": text})
    assert main(["-C", str(root), "check"]) == 0, capsys.readouterr().err
