"""A file included twice (twice in one file, or by two files: a diamond of includes) that declares blocks:
the error named the block as a duplicate of itself ("duplicate name 't': already an agent at
common.Agentfile:2:7", located at common.Agentfile:2:7), and never the second include that caused it."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.errors import AgentfileError
from agentmake.syntax.load import load_agentfile

COMMON = """\
x = 1
agent t:
    inputs = a.txt
    outputs = o.txt
    run = "cp {input} {output}"
"""


@pytest.fixture(autouse=True)
def _in_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # (files are then named as the user sees them: `common.Agentfile`)
    (tmp_path / "a.txt").write_text("a\n")


def _load(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).write_text(text)
    load_agentfile(root / "Agentfile")


def test_a_file_included_twice_is_named_at_its_second_include(tmp_path: Path) -> None:
    main = '# main\ninclude "common.Agentfile"\ninclude "./common.Agentfile"\n'
    with pytest.raises(AgentfileError) as info:
        _load(tmp_path, {"Agentfile": main, "common.Agentfile": COMMON})
    err = info.value
    assert err.loc is not None and (err.loc.file, err.loc.line, err.loc.col) == ("Agentfile", 3, 9)
    assert "'./common.Agentfile' is already included (at Agentfile:2:9)" in err.message, err.message
    assert err.source_line == 'include "./common.Agentfile"'


def test_a_diamond_of_includes_is_named_at_the_second_path_to_the_file(tmp_path: Path) -> None:
    files = {
        "Agentfile": 'include "a.Agentfile"\ninclude "b.Agentfile"\n',
        "a.Agentfile": 'include "common.Agentfile"\n',
        "b.Agentfile": '# b\ninclude "common.Agentfile"\n',
        "common.Agentfile": COMMON,
    }
    with pytest.raises(AgentfileError) as info:
        _load(tmp_path, files)
    err = info.value
    assert err.loc is not None and (err.loc.file, err.loc.line) == ("b.Agentfile", 2)
    assert "already included (at a.Agentfile:1:9)" in err.message, err.message


def test_a_file_of_variables_alone_may_be_included_twice(tmp_path: Path) -> None:
    # (it declares no block: nothing is declared twice; its assignments are made again, in order)
    files = {
        "Agentfile": 'include "vars.Agentfile"\nlang = fr\ninclude "vars.Agentfile"\n' + COMMON[6:],
        "vars.Agentfile": "lang = en\n",
    }
    _load(tmp_path, files)
    assert load_agentfile(tmp_path / "Agentfile").variables["lang"] == "en"
