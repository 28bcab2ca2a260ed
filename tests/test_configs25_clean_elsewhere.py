"""`clean --leftovers` judges the leftovers of its own configuration alone (`Store.this_config`): a task
dropped from the Agentfile while every build gave `kind=b` is removed by `clean --leftovers kind=b` only.
Without it, clean said nothing of those outputs; now one line says they are kept, and the command that judges
them (`cleaning._say_kept_elsewhere`). Switching variables back and forth leaves no such line."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main

BOTH = """\
kind = a
lang = es
agent t:
    outputs = out/t.md
    run = "echo ${kind} > {output}"
agent u:
    outputs = out/${lang}/u.md
    run = "echo ${lang} > {output}"
"""
ONLY_U = BOTH[: BOTH.index("agent t:")] + BOTH[BOTH.index("agent u:") :]


def _clean(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    capsys.readouterr()
    assert main(["-C", str(root), "clean", "--leftovers", *args]) == 0
    return [line for line in capsys.readouterr().out.splitlines() if "kept" in line or "keep" in line]


def test_a_task_dropped_while_built_under_other_variables_is_said_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Agentfile").write_text(BOTH)
    assert main(["-C", str(tmp_path), "-s", "kind=b"]) == 0
    (tmp_path / "Agentfile").write_text(ONLY_U)
    assert _clean(tmp_path, capsys, "-n") == [
        "agentmake: would keep 1 output of tasks not in this graph made by builds under other values of kind:"
        f" `agentmake -C {tmp_path} clean --leftovers kind=…` (with their values) removes those no longer in"
        " their graph"
    ]
    (said,) = _clean(tmp_path, capsys)
    assert said.startswith("agentmake: kept 1 output of tasks not in this graph") and "kind=…" in said, said
    assert (tmp_path / "out" / "t.md").exists()
    assert _clean(tmp_path, capsys, "kind=b") == []
    assert not (tmp_path / "out" / "t.md").exists()  # (the command said removes it)


def test_an_output_another_configurations_record_no_longer_lists_is_said_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """u built with lang=fr, then without: lang=fr's out/fr/u.md is a stray of lang=fr's; u dropped, only a
    clean with lang=fr judges it."""
    (tmp_path / "Agentfile").write_text(BOTH)
    assert main(["-C", str(tmp_path), "-s", "lang=fr"]) == 0
    assert main(["-C", str(tmp_path), "-s"]) == 0
    (tmp_path / "Agentfile").write_text(BOTH[: BOTH.index("agent u:")])
    (said,) = _clean(tmp_path, capsys)
    assert "kept 1 output" in said and "lang=…" in said, said
    assert (tmp_path / "out" / "fr" / "u.md").exists() and not (tmp_path / "out" / "es" / "u.md").exists()


def test_switching_variables_leaves_no_such_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """lang=fr's outputs are no leftovers: u makes them under lang=fr still. Not said kept."""
    (tmp_path / "Agentfile").write_text(BOTH)
    for args in ([], ["lang=fr"], []):
        assert main(["-C", str(tmp_path), "-s", *args]) == 0
    assert _clean(tmp_path, capsys) == []
    assert _clean(tmp_path, capsys, "lang=fr") == []
    assert (tmp_path / "out" / "fr" / "u.md").exists() and (tmp_path / "out" / "es" / "u.md").exists()
