"""A template that loads another (`{% include %}`, `{% extends %}`, …) is refused where the tag is, its
location said once, as every other prompt error is: `p.md:3:4: error: {% include %} is not supported`, the
prompt's line and a caret under the tag, not `Agentfile:8:14: error: prompt p.md, line 3: …` under the
Agentfile's `prompt = p.md`."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main

SHELL = 'runner claude:\n    command = "cat"\n    format = text\n\n'
HINT = "a template cannot use another file"


def check(root: Path, agentfile: str, files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> list[str]:
    (root / "Agentfile").write_text(agentfile)
    (root / "notes.md").write_text("notes\n")
    for name, text in files.items():
        (root / name).write_text(text)
    assert main(["-C", str(root), "check"]) == 2
    return capsys.readouterr().err.splitlines()


def test_an_include_in_a_prompt_file_is_told_at_the_tag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    agentfile = SHELL + "agent t:\n    inputs = notes.md\n    outputs = o.md\n    prompt = p.md\n"
    err = check(tmp_path, agentfile, {"p.md": 'Summarise:\n\n   {% include "other.md" %}\n'}, capsys)
    assert err[0] == "p.md:3:4: error: {% include %} is not supported", err
    assert err[1:3] == ['       {% include "other.md" %}', "       ^"], err
    assert err[3].startswith(HINT), err


def test_an_extends_in_a_merge_prompt_file_is_told_at_the_tag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    agentfile = SHELL + "report r:\n    inputs = notes.md\n    output = R.md\n    merge = m.md\n"
    err = check(tmp_path, agentfile, {"m.md": 'Merge {{ inputs }}\nok {%- extends "base.md" %}\n'}, capsys)
    assert err[0] == "m.md:2:4: error: {% extends %} is not supported", err


def test_an_import_in_a_report_template_is_told_at_the_tag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    agentfile = "report r:\n    inputs = notes.md\n    output = R.md\n    template = r.md\n"
    err = check(tmp_path, agentfile, {"r.md": '# {{ title }}\n{% import "m.md" as m %}\n'}, capsys)
    assert err[0] == "r.md:2:1: error: report template: {% import %} is not supported", err


def test_an_include_in_an_inline_prompt_is_told_at_its_agentfile_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompt = '    prompt = """\n        Hi\n        {% include "x.md" %}\n        """\n'
    agentfile = SHELL + "agent t:\n    inputs = notes.md\n    outputs = o.md\n" + prompt
    err = check(tmp_path, agentfile, {}, capsys)
    assert err[0].endswith("Agentfile:10:9: error: inline prompt: {% include %} is not supported"), err
