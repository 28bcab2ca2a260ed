"""`agentmake init`'s Agentfile names where the language is described on this machine: it cited
"grammar/README.md of the agentmake sources", which a pip user does not have; the wheel carries that file as
package data now (pyproject.toml), and the comment names the copy that is there."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from agentmake.starter import DOC_NAME, init_project, language_doc

REPO = Path(__file__).resolve().parent.parent


def test_the_starter_agentfile_names_a_description_of_the_language_that_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # (the doc is not under it: named as it is)
    assert init_project(tmp_path / "p", io.StringIO()) == 0
    text = (tmp_path / "p" / "Agentfile").read_text()
    [line] = [ln for ln in text.splitlines() if "language is described" in ln]
    assert "of the agentmake sources" not in line, line
    doc = Path(line.split("described in ", 1)[1].rstrip("."))
    assert doc.is_absolute() and doc.read_text() == (REPO / "grammar" / "README.md").read_text(), line


def test_the_wheel_carries_the_description_where_init_looks_for_it() -> None:
    if sys.version_info < (3, 11):
        pytest.skip("tomllib")
    import tomllib

    wheel = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["force-include"]["grammar/README.md"] == f"agentmake/syntax/{DOC_NAME}"


def test_under_the_home_directory_it_is_named_from_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = language_doc()  # (the package's copy when installed, grammar/README.md in a source checkout)
    assert doc is not None
    home = doc.parent.parent
    monkeypatch.setenv("HOME", str(home))  # (a user name in a path is not written into a project)
    assert init_project(tmp_path / "p", io.StringIO()) == 0
    text = (tmp_path / "p" / "Agentfile").read_text()
    assert f"described in ~/{doc.parent.name}/{doc.name}\n" in text, text
    assert str(home) not in text, text
