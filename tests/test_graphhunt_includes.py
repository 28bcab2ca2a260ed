"""Hints about a variable "assigned later" name the right line of the right file when includes are involved:
a line number of one file is not quoted as if it were one of another."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.errors import AgentfileError
from agentmake.syntax.load import load_agentfile


@pytest.fixture(autouse=True)
def _in_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # (files are then named as the user sees them: `a.Agentfile`)


def _fail(root: Path, files: dict[str, str]) -> AgentfileError:
    for rel, text in files.items():
        (root / rel).write_text(text)
    with pytest.raises(AgentfileError) as info:
        load_agentfile(root / "Agentfile")
    return info.value


def test_a_use_in_an_include_on_the_line_number_of_a_later_assignment_is_not_a_self_reference(
    tmp_path: Path,
) -> None:
    err = _fail(
        tmp_path,
        {"Agentfile": '# main\ninclude "a.Agentfile"\nv = 1\n', "a.Agentfile": "# a\n# a\nx = ${v}\n"},
    )
    assert err.loc is not None and (err.loc.file, err.loc.line) == ("a.Agentfile", 3)
    assert err.hint is not None
    assert "refers to itself" not in err.hint
    assert "Agentfile:3" in err.hint and "a.Agentfile:3" not in err.hint


def test_an_assignment_later_in_the_including_file_is_named_with_its_file(tmp_path: Path) -> None:
    err = _fail(
        tmp_path,
        {"Agentfile": 'include "a.Agentfile"\n\n\n\nv = 1\n', "a.Agentfile": "x = ${v}\n"},
    )
    assert err.hint is not None and "Agentfile:5" in err.hint and "(line 5)" not in err.hint


def test_the_next_assignment_is_named_the_one_in_the_include_itself(tmp_path: Path) -> None:
    err = _fail(
        tmp_path,
        {"Agentfile": 'include "a.Agentfile"\n\n\n\nv = 1\n', "a.Agentfile": "x = ${v}\nv = 2\n"},
    )
    assert err.hint is not None and "(line 2)" in err.hint


def test_a_self_reference_in_the_same_file_is_still_said(tmp_path: Path) -> None:
    err = _fail(tmp_path, {"Agentfile": "v = ${v}\n"})
    assert err.hint is not None and "refers to itself" in err.hint


def test_a_block_setting_a_variable_assigned_below_in_the_including_file_names_that_file(
    tmp_path: Path,
) -> None:
    block = 'agent a:\n    run = "echo > {output}"\n    outputs = o.txt\n    focus = x\n'
    err = _fail(
        tmp_path,
        {"Agentfile": 'include "a.Agentfile"\n\n\n\n\n\nfocus = y\n', "a.Agentfile": block},
    )
    assert err.hint is not None and "Agentfile:7" in err.hint and "(line 7)" not in err.hint
